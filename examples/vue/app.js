// Helpwire in a Vue app, bundled with esbuild: a component that loads the widget when mounted and
// removes it when unmounted. Render functions, so Vue's runtime-only build is enough.
import { createApp, defineComponent, h, onMounted, onUnmounted, ref } from 'vue';
import { loadHelpwire, destroyHelpwire } from 'helpwire';

const src = '/helpwire/helpwire.js';
// `?helpwire-test` turns on the local helpdesk's test mode (helpwire/testing scripts the answers).
const testMode = new URLSearchParams(location.search).has('helpwire-test');

export const SupportChat = defineComponent({
  props: { title: { type: String, default: 'Support' } },
  setup(props) {
    onMounted(() => {
      const settings = { provider: 'local', title: props.title, ...(testMode ? { localReplies: 'script' } : {}) };
      loadHelpwire({ src, settings })
        .then((helpwire) => helpwire.on('message', (m) => console.log(`${m.author}: ${m.text}`)))
        // AbortError: unmounted before the widget was ready; nothing to do.
        .catch((error) => { if (error.name !== 'AbortError') console.error(error); });
    });
    onUnmounted(destroyHelpwire);
    return () => null;
  },
});

const App = defineComponent({
  setup() {
    const support = ref(true);
    return () => h('main', [
      h('h1', 'Acme (Vue)'),
      h('button', { id: 'hide', type: 'button', onClick: () => { support.value = false; } }, 'Hide support'),
      h('button', { id: 'show', type: 'button', onClick: () => { support.value = true; } }, 'Show support'),
      support.value ? h(SupportChat, { title: 'Acme support' }) : null,
    ]);
  },
});

createApp(App).mount('#app');

// Demo only: `?backend=bancroft|gleap|gurusup|eusate|bot` points the widget at the sandbox
// helpdesk (tests/sandbox; `scripts/demo.sh --sandbox` starts it) through window.HelpwireSettings,
// which the loader merges over its data-* attributes. Runs before the loader: a plain, non-async
// script, so it works under a strict CSP.
(function () {
  var query = new URLSearchParams(location.search);
  var backend = query.get('backend') || 'local';
  var sandbox = query.get('sandbox') || 'http://127.0.0.1:8787';
  var presets = {
    bancroft: { apiBase: sandbox + '/bancroft', apiKey: 'bnc_cl_test' },
    gleap: { apiBase: sandbox + '/gleap' },
    gurusup: { apiBase: sandbox + '/gurusup' },
    eusate: { apiBase: sandbox + '/eusate', apiKey: 'eusate_test' },
    bot: { apiBase: sandbox + '/bot', apiKey: 'Bearer bot_test' }
  };
  if (presets[backend]) {
    var settings = { provider: backend };
    for (var k in presets[backend]) settings[k] = presets[backend][k];
    window.HelpwireSettings = settings;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var links = document.querySelectorAll('[data-backend]');
    for (var i = 0; i < links.length; i++) {
      var name = links[i].getAttribute('data-backend');
      links[i].href = '?backend=' + name + (query.get('sandbox') ? '&sandbox=' + encodeURIComponent(sandbox) : '');
      if (name === backend) links[i].setAttribute('aria-current', 'page');
    }
    var agent = document.getElementById('agent-page');
    if (agent) agent.href = sandbox + '/_sandbox/';
  });
})();

//! Drawing the visitor back while the panel is closed or the tab hidden: the unread count in
//! the page's title, and an optional short tone (`data-sound="on"`).

/// The page title with the unread count in front, `(2) Site title`, and the site's own title
/// kept to restore. The site may change its title meanwhile: a title that is not the one shown
/// here is the site's latest, and is the one kept.
#[derive(Default)]
pub struct TitleCount {
    site: String,
    /// The title as set here (as `document.title` reads it back), while a count is shown.
    shown: Option<String>,
}

impl TitleCount {
    /// Shows `unread` in front of the site's title; `0` restores the site's title.
    pub fn show(&mut self, unread: u32) {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let current = doc.title();
        if self.shown.as_ref() != Some(&current) {
            self.site = current.clone();
        }
        if unread == 0 {
            if self.shown.take() == Some(current) {
                doc.set_title(&self.site);
            }
            return;
        }
        doc.set_title(&format!("({unread}) {}", self.site));
        self.shown = Some(doc.title());
    }
}

/// A short, quiet tone through Web Audio (an oscillator: no media file, so nothing a strict CSP
/// has to allow). Where the browser blocks sound until the visitor interacts with the page, the
/// context stays suspended and nothing is heard; nothing throws either way.
pub fn tone() {
    let Ok(cx) = web_sys::AudioContext::new() else {
        return;
    };
    if let (Ok(osc), Ok(gain)) = (cx.create_oscillator(), cx.create_gain()) {
        let t = cx.current_time();
        osc.frequency().set_value(880.0);
        let level = gain.gain();
        level.set_value(0.1);
        let _ = level.exponential_ramp_to_value_at_time(0.001, t + 0.2);
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&cx.destination());
        let _ = osc.start();
        let _ = osc.stop_with_when(t + 0.2);
    }
    // One context per tone, closed once it has played: none stays open while nothing sounds.
    leptos::prelude::set_timeout(
        move || {
            let _ = cx.close();
        },
        std::time::Duration::from_millis(500),
    );
}

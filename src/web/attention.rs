//! Drawing the visitor back while the panel is closed or the tab hidden: the unread count in
//! the page's title. (The optional tone, `data-sound="on"`, is the loader's: js/helpwire.js.)

/// The page title with the unread count in front, `(2) Site title`, and the site's own title
/// kept to restore. The site may change its title meanwhile: a title that is not the one shown
/// here is the site's latest, and is the one kept.
struct TitleCount {
    site: String,
    /// The title as set here (as `document.title` reads it back), while a count is shown.
    shown: Option<String>,
}

thread_local! {
    /// One widget per page, one title.
    static TITLE: std::cell::RefCell<TitleCount> = const {
        std::cell::RefCell::new(TitleCount { site: String::new(), shown: None })
    };
}

/// Shows `unread` in front of the site's title; `0` restores the site's title.
pub fn show_unread_in_title(unread: u32) {
    TITLE.with_borrow_mut(|t| t.show(unread));
}

impl TitleCount {
    fn show(&mut self, unread: u32) {
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

//! Japanese.

use super::{plural_none, Direction, Strings};

/// The Japanese interface strings.
pub static JA: Strings = Strings {
    lang: "ja",
    dir: Direction::Ltr,
    title: "サポート",
    greeting: "こんにちは！何でもお気軽にお尋ねください。通常数分以内にお返事します。",
    launcher: "サポートチャット",
    close_chat: "サポートチャットを閉じる",
    composer_label: "サポートへのメッセージ",
    composer_placeholder: "メッセージを入力…",
    send: "送信",
    you: "あなた",
    support: "サポート",
    pending: "送信中…",
    failed: "未配信",
    retry: "再試行",
    earlier: "以前のメッセージを表示",
    reconnecting: "接続が切れました。再試行しています…",
    unavailable: "現在サポートチャットをご利用いただけません。",
    conversation_closed: "この会話はサポートによって終了されました。",
    count: "{n} / {max}",
    near_limit: "文字数の上限（{max} 文字）に近づいています。",
    too_long: "メッセージが長すぎます。{max} 文字以内に短くしてから送信してください。",
    typing: "サポートが入力中…",
    seen: "既読",
    #[cfg(feature = "conversations")]
    conversations: "あなたの会話",
    #[cfg(feature = "conversations")]
    new_conversation: "新しい会話",
    #[cfg(feature = "conversations")]
    back: "会話一覧に戻る",
    #[cfg(feature = "conversations")]
    closed: "終了",
    #[cfg(feature = "conversations")]
    start_new: "新しい会話を始める",
    #[cfg(feature = "conversations")]
    still_sending: "メッセージを送信中です。届いてから切り替えられます。",
    #[cfg(feature = "contact")]
    contact_title: "連絡先",
    #[cfg(feature = "contact")]
    name: "お名前",
    #[cfg(feature = "contact")]
    email: "メールアドレス",
    #[cfg(feature = "contact")]
    offer: "回答をメールで受け取る",
    #[cfg(feature = "contact")]
    save: "保存",
    #[cfg(feature = "contact")]
    dismiss: "今は結構です",
    #[cfg(feature = "contact")]
    email_invalid: "name@example.com のような形式でメールアドレスを入力してください。",
    #[cfg(feature = "contact")]
    name_missing: "お名前を入力してください。",
    #[cfg(feature = "contact")]
    privacy: "プライバシーポリシー",
    unread: |_| "未読メッセージ {n} 件",
    plural: plural_none,
};

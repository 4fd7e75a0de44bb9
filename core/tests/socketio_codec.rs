//! Engine.IO v4 / Socket.IO v5 codec and client state machine, against packets written out by
//! hand from the protocol documents.

use helpwire_core::json::Json;
use helpwire_core::protocol::push::PushOutput;
use helpwire_core::protocol::socketio::*;

/// A JSON value written out as text.
fn j(text: &str) -> Json {
    Json::parse(text).unwrap()
}

const OPEN: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

// ------------------------------------------------------------------ Engine.IO

#[test]
fn engine_open_packet_decodes_handshake_fields() {
    let EnginePacket::Open(h) = decode_engine(OPEN).unwrap() else {
        panic!("not an open packet");
    };
    assert_eq!(h.sid, "lv_VI97HAXpY6yYWAAAC");
    assert!(h.upgrades.is_empty());
    assert_eq!(h.ping_interval, 25_000);
    assert_eq!(h.ping_timeout, 20_000);
    assert_eq!(h.max_payload, 1_000_000);
}

#[test]
fn engine_open_packet_with_upgrades_and_without_max_payload_uses_default() {
    let frame = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200}"#;
    let EnginePacket::Open(h) = decode_engine(frame).unwrap() else {
        panic!("not an open packet");
    };
    assert_eq!(h.upgrades, vec!["websocket".to_string()]);
    assert_eq!(h.max_payload, 1_000_000);
}

#[test]
fn engine_open_packet_roundtrips_through_encode() {
    let packet = decode_engine(OPEN).unwrap();
    assert_eq!(decode_engine(&encode_engine(&packet)).unwrap(), packet);
    assert_eq!(
        encode_engine(&packet),
        OPEN,
        "the documented layout, byte for byte"
    );
}

#[test]
fn engine_simple_packet_types_decode() {
    assert_eq!(decode_engine("1").unwrap(), EnginePacket::Close);
    assert_eq!(decode_engine("2").unwrap(), EnginePacket::Ping(""));
    assert_eq!(decode_engine("3").unwrap(), EnginePacket::Pong(""));
    assert_eq!(
        decode_engine("2probe").unwrap(),
        EnginePacket::Ping("probe")
    );
    assert_eq!(
        decode_engine("4hello").unwrap(),
        EnginePacket::Message("hello")
    );
    assert_eq!(decode_engine("5").unwrap(), EnginePacket::Upgrade);
    assert_eq!(decode_engine("6").unwrap(), EnginePacket::Noop);
}

#[test]
fn engine_packets_encode_as_type_digit_and_data() {
    assert_eq!(encode_engine(&EnginePacket::Close), "1");
    assert_eq!(encode_engine(&EnginePacket::Ping("")), "2");
    assert_eq!(encode_engine(&EnginePacket::Pong("")), "3");
    assert_eq!(encode_engine(&EnginePacket::Pong("probe")), "3probe");
    assert_eq!(
        encode_engine(&EnginePacket::Message("0/helpdesk,")),
        "40/helpdesk,"
    );
    assert_eq!(encode_engine(&EnginePacket::Upgrade), "5");
    assert_eq!(encode_engine(&EnginePacket::Noop), "6");
}

#[test]
fn engine_malformed_frames_give_typed_errors() {
    assert_eq!(decode_engine(""), Err(CodecError::Empty));
    assert_eq!(decode_engine("7"), Err(CodecError::UnknownEngineType('7')));
    assert_eq!(
        decode_engine("x42"),
        Err(CodecError::UnknownEngineType('x'))
    );
    assert_eq!(decode_engine("é"), Err(CodecError::UnknownEngineType('é')));
    assert!(matches!(decode_engine("0"), Err(CodecError::Handshake(_))));
    assert!(matches!(
        decode_engine("0{not json"),
        Err(CodecError::Handshake(_))
    ));
    assert!(matches!(
        decode_engine(r#"0{"sid":"a","upgrades":[]}"#),
        Err(CodecError::Handshake(_))
    ));
    assert!(matches!(
        decode_engine(r#"0{"sid":"","pingInterval":1,"pingTimeout":1}"#),
        Err(CodecError::Handshake(_))
    ));
    assert!(matches!(
        decode_engine(r#"0{"sid":"a","pingInterval":0,"pingTimeout":1}"#),
        Err(CodecError::Handshake(_))
    ));
}

// ------------------------------------------------------------------ Socket.IO decode

#[test]
fn socket_connect_on_main_namespace_has_no_prefix() {
    assert_eq!(
        decode_socket("0").unwrap(),
        SocketPacket::Connect {
            namespace: "/",
            payload: None
        }
    );
}

#[test]
fn socket_connect_reply_carries_sid_for_namespace() {
    assert_eq!(
        decode_socket(r#"0/helpdesk,{"sid":"oSO0OpakMV_3jnilAAAA"}"#).unwrap(),
        SocketPacket::Connect {
            namespace: "/helpdesk",
            payload: Some(j(r#"{"sid": "oSO0OpakMV_3jnilAAAA"}"#))
        }
    );
}

#[test]
fn socket_connect_with_namespace_but_no_trailing_comma_decodes() {
    assert_eq!(
        decode_socket("0/helpdesk").unwrap(),
        SocketPacket::Connect {
            namespace: "/helpdesk",
            payload: None
        }
    );
}

#[test]
fn socket_disconnect_decodes_namespace() {
    assert_eq!(
        decode_socket("1/helpdesk,").unwrap(),
        SocketPacket::Disconnect {
            namespace: "/helpdesk"
        }
    );
}

#[test]
fn socket_event_decodes_name_and_args() {
    assert_eq!(
        decode_socket(r#"2["hello",1,{"a":true}]"#).unwrap(),
        SocketPacket::Event {
            namespace: "/",
            id: None,
            name: "hello".into(),
            args: vec![Json::from(1), j(r#"{"a": true}"#)]
        }
    );
}

#[test]
fn socket_event_with_namespace_and_ack_id_decodes_both() {
    assert_eq!(
        decode_socket(r#"2/helpdesk,456["project:delete",123]"#).unwrap(),
        SocketPacket::Event {
            namespace: "/helpdesk",
            id: Some(456),
            name: "project:delete".into(),
            args: vec![Json::from(123)]
        }
    );
}

#[test]
fn socket_event_payload_containing_commas_keeps_namespace_intact() {
    let packet = decode_socket(r#"2/helpdesk,["support",{"message":"a, b, c"}]"#).unwrap();
    assert_eq!(packet.namespace(), "/helpdesk");
    let SocketPacket::Event { args, .. } = packet else {
        panic!("not an event");
    };
    assert_eq!(args[0]["message"], "a, b, c");
}

#[test]
fn socket_ack_decodes_id_and_args() {
    assert_eq!(
        decode_socket("3/helpdesk,456[]").unwrap(),
        SocketPacket::Ack {
            namespace: "/helpdesk",
            id: 456,
            args: vec![]
        }
    );
    assert_eq!(
        decode_socket(r#"312["ok"]"#).unwrap(),
        SocketPacket::Ack {
            namespace: "/",
            id: 12,
            args: vec![Json::from("ok")]
        }
    );
}

#[test]
fn socket_connect_error_decodes_message_and_data() {
    assert_eq!(
        decode_socket(r#"4/helpdesk,{"message":"Not authorized","data":{"code":401}}"#).unwrap(),
        SocketPacket::ConnectError {
            namespace: "/helpdesk",
            message: "Not authorized".into(),
            data: Some(j(r#"{"code": 401}"#))
        }
    );
}

#[test]
fn socket_connect_error_accepts_legacy_string_payload() {
    assert_eq!(
        decode_socket(r#"4/helpdesk,"Invalid namespace""#).unwrap(),
        SocketPacket::ConnectError {
            namespace: "/helpdesk",
            message: "Invalid namespace".into(),
            data: None
        }
    );
}

#[test]
fn socket_binary_packets_are_rejected_as_unsupported() {
    assert_eq!(
        decode_socket(r#"51-["hello",{"_placeholder":true,"num":0}]"#),
        Err(CodecError::BinaryNotSupported)
    );
    assert_eq!(
        decode_socket(r#"61-/helpdesk,456[{"_placeholder":true,"num":0}]"#),
        Err(CodecError::BinaryNotSupported)
    );
    assert_eq!(
        CodecError::BinaryNotSupported.to_string(),
        "binary not supported"
    );
}

#[test]
fn socket_malformed_packets_give_typed_errors() {
    assert_eq!(decode_socket(""), Err(CodecError::Empty));
    assert_eq!(decode_socket("9"), Err(CodecError::UnknownSocketType('9')));
    assert_eq!(decode_socket("a"), Err(CodecError::UnknownSocketType('a')));
    assert!(matches!(decode_socket("2[\"x\""), Err(CodecError::Json(_))));
    assert!(matches!(
        decode_socket("2{}"),
        Err(CodecError::Payload {
            packet: "EVENT",
            ..
        })
    ));
    assert!(matches!(
        decode_socket("2[]"),
        Err(CodecError::Payload {
            packet: "EVENT",
            ..
        })
    ));
    assert!(matches!(
        decode_socket("2[1]"),
        Err(CodecError::Payload {
            packet: "EVENT",
            ..
        })
    ));
    assert!(matches!(
        decode_socket("2"),
        Err(CodecError::Payload {
            packet: "EVENT",
            ..
        })
    ));
    assert!(matches!(
        decode_socket(r#"2["connect"]"#),
        Err(CodecError::Payload {
            packet: "EVENT",
            ..
        })
    ));
    assert!(matches!(decode_socket("3[]"), Err(CodecError::AckId(_))));
    assert!(matches!(
        decode_socket("31"),
        Err(CodecError::Payload { packet: "ACK", .. })
    ));
    assert!(matches!(
        decode_socket("399999999999999999999999[]"),
        Err(CodecError::AckId(_))
    ));
    assert!(matches!(
        decode_socket("0[1]"),
        Err(CodecError::Payload {
            packet: "CONNECT",
            ..
        })
    ));
    assert!(matches!(
        decode_socket("1{}"),
        Err(CodecError::Payload {
            packet: "DISCONNECT",
            ..
        })
    ));
    assert!(matches!(
        decode_socket(r#"4{"nope":1}"#),
        Err(CodecError::Payload {
            packet: "CONNECT_ERROR",
            ..
        })
    ));
    assert!(matches!(
        decode_socket("4"),
        Err(CodecError::Payload {
            packet: "CONNECT_ERROR",
            ..
        })
    ));
    assert!(matches!(
        decode_socket(r#"2/ns["a,b"]"#),
        Err(CodecError::Namespace(_))
    ));
}

#[test]
fn a_frame_cut_short_is_refused_and_a_cut_socket_io_packet_keeps_the_connection() {
    let frames = [
        OPEN,
        r#"42/helpdesk,7["support",{"status_code":200,"data":{"message":"héllo"}}]"#,
        r#"44/helpdesk,{"message":"Not authorized"}"#,
        "43/helpdesk,12[]",
    ];
    let mut cut_messages = 0;
    for frame in frames {
        assert!(decode_engine(frame).is_ok(), "{frame}");
        for (i, _) in frame.char_indices() {
            let prefix = &frame[..i];
            if prefix.starts_with('4') {
                // Valid Engine.IO framing around a Socket.IO packet that is cut short.
                assert!(
                    matches!(decode_engine(prefix), Ok(EnginePacket::Message(_))),
                    "{prefix}"
                );
                let mut c = connected_client(0.0);
                assert!(
                    matches!(
                        run(|o| c.on_text(prefix, 1.0, o)),
                        (out, Report::Dropped(_)) if out.is_empty()
                    ),
                    "{prefix}"
                );
                assert!(c.is_connected(), "{prefix}");
                cut_messages += 1;
            } else {
                assert!(
                    matches!(
                        decode_engine(prefix),
                        Err(CodecError::Empty | CodecError::Handshake(_))
                    ),
                    "a cut handshake is never accepted: {prefix}"
                );
            }
        }
    }
    assert_eq!(cut_messages, 124, "every cut message was tried");
}

// ------------------------------------------------------------------ Socket.IO encode

#[test]
fn socket_connect_encodes_namespace_and_auth() {
    let plain = SocketPacket::Connect {
        namespace: "/helpdesk",
        payload: None,
    };
    assert_eq!(encode_socket(&plain), "0/helpdesk,");
    assert_eq!(encode_frame(&plain), "40/helpdesk,");
    let auth = SocketPacket::Connect {
        namespace: "/admin",
        payload: Some(j(r#"{"token": "123"}"#)),
    };
    assert_eq!(encode_socket(&auth), r#"0/admin,{"token":"123"}"#);
    let main = SocketPacket::Connect {
        namespace: "/",
        payload: None,
    };
    assert_eq!(encode_socket(&main), "0");
}

#[test]
fn socket_event_encodes_ack_id_before_payload() {
    let event = SocketPacket::Event {
        namespace: "/helpdesk",
        id: Some(12),
        name: "support".into(),
        args: vec![j(r#"{"session_id": "s1"}"#)],
    };
    assert_eq!(
        encode_frame(&event),
        r#"42/helpdesk,12["support",{"session_id":"s1"}]"#
    );
    let no_ack = SocketPacket::Event {
        namespace: "/",
        id: None,
        name: "hello".into(),
        args: vec![Json::from("world")],
    };
    assert_eq!(encode_frame(&no_ack), r#"42["hello","world"]"#);
}

#[test]
fn socket_ack_disconnect_and_connect_error_encode_per_spec() {
    assert_eq!(
        encode_socket(&SocketPacket::Ack {
            namespace: "/helpdesk",
            id: 456,
            args: vec![]
        }),
        "3/helpdesk,456[]"
    );
    assert_eq!(
        encode_socket(&SocketPacket::Disconnect {
            namespace: "/helpdesk"
        }),
        "1/helpdesk,"
    );
    assert_eq!(
        encode_socket(&SocketPacket::ConnectError {
            namespace: "/helpdesk",
            message: "Not authorized".into(),
            data: None
        }),
        r#"4/helpdesk,{"message":"Not authorized"}"#
    );
}

#[test]
fn socket_packets_roundtrip_through_encode_and_decode() {
    let packets = [
        SocketPacket::Connect {
            namespace: "/helpdesk",
            payload: Some(j(r#"{"sid": "x"}"#)),
        },
        SocketPacket::Disconnect { namespace: "/" },
        SocketPacket::Event {
            namespace: "/helpdesk",
            id: Some(0),
            name: "customer_support".into(),
            args: vec![j(
                r#"{"status_code": 200, "data": {"message": "Hi, Ana here"}}"#,
            )],
        },
        SocketPacket::Ack {
            namespace: "/helpdesk",
            id: 99,
            args: vec![Json::Null, Json::from("ok")],
        },
        SocketPacket::ConnectError {
            namespace: "/helpdesk",
            message: "nope".into(),
            data: Some(j(r#"{"reason": "token"}"#)),
        },
    ];
    for p in packets {
        assert_eq!(decode_socket(&encode_socket(&p)).unwrap(), p, "{p:?}");
    }
}

// ------------------------------------------------------------------ URLs

#[test]
fn engine_url_from_https_base_uses_wss_socketio_path_and_query_order() {
    let url = engine_io_url(
        "https://api.eusate.com",
        DEFAULT_PATH,
        &[("token_source", "api"), ("token", "KEY")],
    )
    .unwrap();
    assert_eq!(
        url,
        "wss://api.eusate.com/socket.io/?token_source=api&token=KEY&EIO=4&transport=websocket"
    );
}

#[test]
fn engine_url_from_http_base_with_port_prefix_and_trailing_slash() {
    let url = engine_io_url("http://localhost:8080/eusate/", "/socket.io/", &[]).unwrap();
    assert_eq!(
        url,
        "ws://localhost:8080/eusate/socket.io/?EIO=4&transport=websocket"
    );
    let url = engine_io_url("wss://h.example", "socket.io", &[]).unwrap();
    assert_eq!(url, "wss://h.example/socket.io/?EIO=4&transport=websocket");
}

#[test]
fn engine_url_percent_encodes_query_values() {
    let url = engine_io_url("https://h.example", DEFAULT_PATH, &[("token", "a b&c=d/é")]).unwrap();
    assert_eq!(
        url,
        "wss://h.example/socket.io/?token=a%20b%26c%3Dd%2F%C3%A9&EIO=4&transport=websocket"
    );
}

#[test]
fn engine_url_rejects_bases_it_cannot_use() {
    assert!(engine_io_url("api.eusate.com", DEFAULT_PATH, &[]).is_err());
    assert_eq!(
        engine_io_url("ftp://h.example", DEFAULT_PATH, &[])
            .unwrap_err()
            .to_string(),
        "invalid socket URL \"ftp://h.example\": the scheme is not http(s) or ws(s)"
    );
    assert!(engine_io_url("https://", DEFAULT_PATH, &[]).is_err());
    assert!(engine_io_url("https://h.example?x=1", DEFAULT_PATH, &[]).is_err());
}

// ------------------------------------------------------------------ Client

fn client() -> SocketIoClient {
    SocketIoClient::new(
        ClientConfig::new(
            "wss://api.eusate.com/socket.io/?EIO=4&transport=websocket",
            "/helpdesk",
        ),
        42,
    )
}

/// One client call: the transport work it wrote into its `out` list, and what it reported.
fn run(call: impl FnOnce(&mut Vec<PushOutput>) -> Report) -> (Vec<PushOutput>, Report) {
    let mut out = Vec::new();
    let report = call(&mut out);
    (out, report)
}

/// Nothing to do and nothing to report.
fn nothing() -> (Vec<PushOutput>, Report) {
    (vec![], Report::Nothing)
}

/// The next attempt's time, when `report` is a disconnect that schedules one.
fn reconnect_at(report: &Report) -> Option<(f64, u32)> {
    match report {
        Report::Disconnected {
            next: Next::ReconnectAt { at, attempt },
            ..
        } => Some((*at, *attempt)),
        _ => None,
    }
}

fn connected_client(now: f64) -> SocketIoClient {
    let mut c = client();
    c.connect(now, &mut Vec::new());
    c.on_transport_open(now);
    run(|o| c.on_text(OPEN, now, o));
    assert_eq!(
        run(|o| c.on_text(r#"40/helpdesk,{"sid":"ns-sid"}"#, now, o)),
        (
            vec![],
            Report::Connected {
                sid: Some("ns-sid".into())
            }
        )
    );
    c
}

#[test]
fn client_connect_asks_to_open_the_engine_url() {
    let mut c = client();
    assert_eq!(c.state(), ConnectionState::Idle);
    let mut out = Vec::new();
    c.connect(0.0, &mut out);
    assert_eq!(
        out,
        vec![PushOutput::Open {
            url: "wss://api.eusate.com/socket.io/?EIO=4&transport=websocket".into()
        }]
    );
    assert_eq!(c.state(), ConnectionState::Opening);
    out.clear();
    c.connect(1.0, &mut out);
    assert_eq!(out, vec![], "a second connect while opening does nothing");
    assert_eq!(c.next_deadline(), Some(20_000.0));
}

#[test]
fn client_sends_namespace_connect_after_open_packet() {
    let mut c = client();
    c.connect(0.0, &mut Vec::new());
    assert_eq!(c.on_transport_open(5.0), Report::Nothing);
    assert_eq!(
        run(|o| c.on_text(OPEN, 10.0, o)),
        (
            vec![PushOutput::Send("40/helpdesk,".into())],
            Report::Nothing
        )
    );
    assert_eq!(c.state(), ConnectionState::Joining);
}

#[test]
fn client_sends_auth_payload_in_connect_when_configured() {
    let mut config = ClientConfig::new("ws://h/socket.io/?EIO=4&transport=websocket", "/admin");
    config.auth = Some(j(r#"{"token": "123"}"#));
    let mut c = SocketIoClient::new(config, 1);
    c.connect(0.0, &mut Vec::new());
    assert_eq!(
        run(|o| c.on_text(OPEN, 0.0, o)),
        (
            vec![PushOutput::Send(r#"40/admin,{"token":"123"}"#.into())],
            Report::Nothing
        )
    );
}

#[test]
fn client_reports_connected_with_namespace_sid() {
    let c = connected_client(0.0);
    assert!(c.is_connected());
}

#[test]
fn client_answers_ping_with_pong_and_extends_heartbeat_deadline() {
    let mut c = connected_client(0.0);
    assert_eq!(c.next_deadline(), Some(45_000.0));
    assert_eq!(
        run(|o| c.on_text("2", 25_000.0, o)),
        (vec![PushOutput::Send("3".into())], Report::Nothing)
    );
    assert_eq!(c.next_deadline(), Some(70_000.0));
    assert_eq!(run(|o| c.tick(69_999.0, o)), nothing());
    assert!(c.is_connected());
}

#[test]
fn client_missing_ping_times_out_and_schedules_reconnect() {
    let mut c = connected_client(0.0);
    let (out, report) = run(|o| c.tick(45_000.0, o));
    assert_eq!(out, vec![PushOutput::Close]);
    let Report::Disconnected {
        reason: DisconnectReason::PingTimeout,
        next: Next::ReconnectAt { at, attempt },
    } = report
    else {
        panic!("no reconnect scheduled: {report:?}");
    };
    assert_eq!(attempt, 1);
    assert!((45_500.0..=46_000.0).contains(&at), "{at}");
    assert_eq!(c.state(), ConnectionState::Waiting { at });
    assert_eq!(run(|o| c.tick(at - 1.0, o)), nothing());
    assert!(matches!(
        run(|o| c.tick(at, o)),
        (out, Report::Nothing) if matches!(out.as_slice(), [PushOutput::Open { .. }])
    ));
    assert_eq!(c.state(), ConnectionState::Opening);
}

#[test]
fn client_connect_timeout_fails_the_attempt() {
    let mut c = client();
    c.connect(0.0, &mut Vec::new());
    run(|o| c.on_text(OPEN, 100.0, o));
    let (out, report) = run(|o| c.tick(20_000.0, o));
    assert_eq!(out, vec![PushOutput::Close]);
    assert!(
        matches!(
            report,
            Report::Disconnected {
                reason: DisconnectReason::ConnectTimeout,
                next: Next::ReconnectAt { .. }
            }
        ),
        "{report:?}"
    );
}

#[test]
fn client_reconnect_schedule_grows_and_resets_after_success() {
    let mut c = client();
    let mut now = 0.0;
    c.connect(now, &mut Vec::new());
    let mut delays = Vec::new();
    for _ in 0..7 {
        let (out, report) = run(|o| c.on_transport_close("gone", now, o));
        assert_eq!(out, vec![PushOutput::Close]);
        let Some((at, _)) = reconnect_at(&report) else {
            panic!("no reconnect: {report:?}");
        };
        delays.push(at - now);
        now = at;
        assert!(matches!(
            run(|o| c.tick(now, o)),
            (out, Report::Nothing) if matches!(out.as_slice(), [PushOutput::Open { .. }])
        ));
    }
    for (i, d) in delays.iter().enumerate() {
        let step = (1_000.0 * 2f64.powi(i as i32)).min(30_000.0);
        assert!(*d >= step / 2.0 && *d <= step, "attempt {}: {d}", i + 1);
    }
    run(|o| c.on_text(OPEN, now, o));
    run(|o| c.on_text("40/helpdesk,", now, o));
    // Joined: the count of failures in a row starts again.
    let (_, report) = run(|o| c.on_transport_close("", now, o));
    assert!(matches!(reconnect_at(&report), Some((_, 1))), "{report:?}");
}

#[test]
fn client_jitter_differs_between_seeds_but_is_reproducible() {
    let first_delay = |seed| {
        let mut c = SocketIoClient::new(ClientConfig::new("ws://h/", "/helpdesk"), seed);
        c.connect(0.0, &mut Vec::new());
        let (_, report) = run(|o| c.on_transport_close("", 0.0, o));
        match reconnect_at(&report) {
            Some((at, _)) => at,
            None => panic!("{report:?}"),
        }
    };
    assert_eq!(first_delay(1), first_delay(1));
    assert_ne!(first_delay(1), first_delay(2));
}

#[test]
fn client_gives_up_after_max_attempts() {
    let mut config = ClientConfig::new("ws://h/", "/helpdesk");
    config.max_attempts = Some(2);
    let mut c = SocketIoClient::new(config, 3);
    c.connect(0.0, &mut Vec::new());
    let (_, first) = run(|o| c.on_transport_error("refused", 0.0, o));
    let Some((at, _)) = reconnect_at(&first) else {
        panic!("{first:?}");
    };
    run(|o| c.tick(at, o));
    assert_eq!(
        run(|o| c.on_transport_close("refused", at, o)),
        (
            vec![PushOutput::Close],
            Report::Disconnected {
                reason: DisconnectReason::TransportClosed("refused".into()),
                next: Next::GaveUp { attempts: 2 }
            }
        )
    );
    assert_eq!(c.state(), ConnectionState::Idle);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn client_transport_close_after_error_is_reported_once() {
    let mut c = connected_client(0.0);
    let (out, first) = run(|o| c.on_transport_error("boom", 1.0, o));
    assert_eq!(out, vec![PushOutput::Close]);
    assert!(matches!(
        first,
        Report::Disconnected {
            reason: DisconnectReason::TransportError(ref e),
            ..
        } if e == "boom"
    ));
    assert_eq!(run(|o| c.on_transport_close("", 2.0, o)), nothing());
    assert_eq!(
        run(|o| c.on_text("2", 3.0, o)),
        nothing(),
        "frames from the dead socket are ignored"
    );
}

/// An event the helpdesk pushes in its namespace, without an ack id, and how the client reports it.
const SUPPORT_EVENT: &str = r#"42/helpdesk,["support",{"status_code":200}]"#;

fn support_event() -> Report {
    Report::Event(IncomingEvent {
        name: "support".into(),
        args: vec![j(r#"{"status_code": 200}"#)],
        ack_id: None,
    })
}

#[test]
fn client_decodes_events_with_and_without_ack_ids() {
    let mut c = connected_client(0.0);
    assert_eq!(
        run(|o| c.on_text(SUPPORT_EVENT, 1.0, o)),
        (vec![], support_event())
    );
    assert_eq!(
        run(|o| c.on_text(r#"42/helpdesk,7["ping_me"]"#, 1.0, o)),
        (
            vec![],
            Report::Event(IncomingEvent {
                name: "ping_me".into(),
                args: vec![],
                ack_id: Some(7)
            })
        )
    );
    assert_eq!(
        c.ack(7, vec![Json::from("ok")]).unwrap(),
        r#"43/helpdesk,7["ok"]"#
    );
}

#[test]
fn client_ignores_packets_for_other_namespaces() {
    let mut c = connected_client(0.0);
    assert_eq!(run(|o| c.on_text(r#"42["support",{}]"#, 1.0, o)), nothing());
    assert_eq!(
        run(|o| c.on_text(r#"42/other,["support",{}]"#, 1.0, o)),
        nothing()
    );
}

#[test]
fn client_emit_assigns_increasing_ack_ids_and_matches_acks() {
    let mut c = connected_client(0.0);
    let a = c.emit("support", vec![j(r#"{"m": 1}"#)], true).unwrap();
    let b = c.emit("support", vec![j(r#"{"m": 2}"#)], true).unwrap();
    let n = c
        .emit(
            "enter_support",
            vec![j(r#"{"ticket_chat_id": "t"}"#)],
            false,
        )
        .unwrap();
    assert_eq!(a.frame, r#"42/helpdesk,0["support",{"m":1}]"#);
    assert_eq!(b.frame, r#"42/helpdesk,1["support",{"m":2}]"#);
    assert_eq!(
        n.frame,
        r#"42/helpdesk,["enter_support",{"ticket_chat_id":"t"}]"#
    );
    assert_eq!((a.ack_id, b.ack_id, n.ack_id), (Some(0), Some(1), None));
    assert_eq!(
        run(|o| c.on_text(r#"43/helpdesk,1[{"ok":true}]"#, 1.0, o)),
        (
            vec![],
            Report::Ack {
                id: 1,
                args: vec![j(r#"{"ok": true}"#)]
            }
        )
    );
}

#[test]
fn client_emit_before_connected_is_refused() {
    let mut c = client();
    assert_eq!(c.emit("x", vec![], false), Err(ClientError::NotConnected));
    c.connect(0.0, &mut Vec::new());
    run(|o| c.on_text(OPEN, 0.0, o));
    assert_eq!(c.emit("x", vec![], false), Err(ClientError::NotConnected));
}

#[test]
fn client_emit_larger_than_max_payload_is_refused() {
    let mut c = client();
    c.connect(0.0, &mut Vec::new());
    run(|o| {
        c.on_text(
            r#"0{"sid":"s","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":40}"#,
            0.0,
            o,
        )
    });
    run(|o| c.on_text("40/helpdesk,", 0.0, o));
    assert!(c.emit("a", vec![], false).is_ok());
    assert!(matches!(
        c.emit("support", vec![Json::from("x".repeat(64))], true),
        Err(ClientError::TooLarge { max: 40, .. })
    ));
}

#[test]
fn client_connect_error_is_reported_and_does_not_reconnect() {
    let mut c = client();
    c.connect(0.0, &mut Vec::new());
    run(|o| c.on_text(OPEN, 0.0, o));
    assert_eq!(
        run(|o| c.on_text(r#"44/helpdesk,{"message":"Invalid token"}"#, 1.0, o)),
        (
            vec![PushOutput::Close],
            Report::Refused {
                message: "Invalid token".into(),
                data: None
            }
        )
    );
    assert_eq!(c.state(), ConnectionState::Idle);
    assert_eq!(c.next_deadline(), None);
    let mut out = Vec::new();
    c.connect(2.0, &mut out);
    assert!(matches!(out.as_slice(), [PushOutput::Open { .. }]));
}

#[test]
fn client_server_disconnect_stops_without_reconnect() {
    let mut c = connected_client(0.0);
    assert_eq!(
        run(|o| c.on_text("41/helpdesk,", 1.0, o)),
        (
            vec![PushOutput::Close],
            Report::Disconnected {
                reason: DisconnectReason::ServerDisconnect,
                next: Next::Stop
            }
        )
    );
    assert_eq!(c.state(), ConnectionState::Idle);
}

#[test]
fn client_engine_close_reconnects() {
    let mut c = connected_client(0.0);
    let (out, report) = run(|o| c.on_text("1", 1.0, o));
    assert_eq!(out, vec![PushOutput::Close]);
    assert!(matches!(
        report,
        Report::Disconnected {
            reason: DisconnectReason::ServerClose,
            next: Next::ReconnectAt { .. }
        }
    ));
}

#[test]
fn client_broken_engine_io_framing_drops_the_connection() {
    // Only the transport's own framing is a reason to reconnect: an empty frame, an unknown
    // Engine.IO type, a handshake that cannot be read.
    for frame in ["", "9", "x42/helpdesk,[\"support\"]", "0{\"sid\":"] {
        let mut c = connected_client(0.0);
        let (out, report) = run(|o| c.on_text(frame, 1.0, o));
        assert_eq!(out, vec![PushOutput::Close], "{frame:?}");
        assert!(
            matches!(
                &report,
                Report::Disconnected {
                    reason: DisconnectReason::Protocol(_),
                    next: Next::ReconnectAt { .. }
                }
            ),
            "{frame:?}: {report:?}"
        );
    }
}

/// Engine.IO messages that carry a Socket.IO packet this client cannot represent or did not
/// expect. Each is valid Engine.IO framing, so the connection is fine.
const UNREADABLE_PACKETS: [&str; 16] = [
    // A number as the event name: valid in the official socket.io-parser's tests.
    r#"42/helpdesk,[1,"a"]"#,
    r#"42/helpdesk,["connect"]"#,
    r#"42/helpdesk,[broken"#,
    r#"42/helpdesk,{}"#,
    r#"42/helpdesk,[]"#,
    "42/helpdesk,",
    "4",
    "49",
    r#"43/helpdesk,[]"#,
    r#"43/helpdesk,99999999999999999999999[]"#,
    r#"41/helpdesk,{}"#,
    r#"40/helpdesk,[1]"#,
    r#"44/helpdesk,{"nope":1}"#,
    r#"42/ns["a,b"]"#,
    r#"451-/helpdesk,["file",{"_placeholder":true,"num":0}]"#,
    r#"42/helpdesk,["support",{"x":1}]garbage"#,
];

#[test]
fn client_drops_socket_io_packets_it_cannot_read_and_keeps_the_connection() {
    let mut c = connected_client(0.0);
    let deadline = c.next_deadline();
    for (i, frame) in UNREADABLE_PACKETS.iter().enumerate() {
        let (out, report) = run(|o| c.on_text(frame, 1.0 + i as f64, o));
        assert!(
            out.is_empty() && matches!(report, Report::Dropped(_)),
            "{frame}: one report to warn about, nothing else: {out:?} {report:?}"
        );
        assert!(c.is_connected(), "{frame}");
    }
    assert_eq!(c.next_deadline(), deadline, "the heartbeat is untouched");
    assert_eq!(
        run(|o| c.on_text(SUPPORT_EVENT, 20.0, o)),
        (vec![], support_event()),
        "events after them still arrive"
    );
}

#[test]
fn client_drops_unreadable_packets_while_joining_and_still_joins() {
    let mut c = client();
    c.connect(0.0, &mut Vec::new());
    run(|o| c.on_text(OPEN, 0.0, o));
    assert!(matches!(
        run(|o| c.on_text(r#"42/helpdesk,[1,"a"]"#, 1.0, o)),
        (out, Report::Dropped(_)) if out.is_empty()
    ));
    assert_eq!(c.state(), ConnectionState::Joining);
    assert_eq!(
        run(|o| c.on_text("40/helpdesk,", 2.0, o)),
        (vec![], Report::Connected { sid: None })
    );
}

#[test]
fn eusate_channel_warns_once_per_unreadable_packet_and_stays_connected() {
    use helpwire_core::protocol::eusate::{ChannelConfig, EusateChannel};
    use helpwire_core::protocol::push::PushChannel;
    let config = ClientConfig::new("ws://h/socket.io/?EIO=4&transport=websocket", "/helpdesk");
    let mut ch = EusateChannel::new(config, "s1", None, ChannelConfig::default(), 7);
    ch.connect(0.0);
    ch.on_text(OPEN, 0.0);
    ch.on_text("40/helpdesk,", 0.0);
    for frame in UNREADABLE_PACKETS {
        let out = ch.on_text(frame, 1.0);
        assert!(
            matches!(out.as_slice(), [PushOutput::Error(_)]),
            "{frame}: one console warning, no close, no reconnect: {out:?}"
        );
    }
    // Still connected: a message goes out at once.
    let message = helpwire_core::protocol::Outgoing {
        local_id: "l1".into(),
        text: "Hi".into(),
    };
    let out = ch.send(&message, None, 2.0);
    assert!(
        out.iter()
            .any(|o| matches!(o, PushOutput::Send(f) if f.contains("Hi"))),
        "{out:?}"
    );
}

#[test]
fn client_binary_event_is_reported_but_connection_kept() {
    let mut c = connected_client(0.0);
    assert_eq!(
        run(|o| c.on_text(
            r#"451-/helpdesk,["file",{"_placeholder":true,"num":0}]"#,
            1.0,
            o
        )),
        (vec![], Report::Dropped(CodecError::BinaryNotSupported))
    );
    assert_eq!(c.on_binary(1.0), Report::Nothing);
    assert!(c.is_connected());
}

#[test]
fn client_noop_pong_and_upgrade_are_ignored() {
    let mut c = connected_client(0.0);
    assert_eq!(run(|o| c.on_text("6", 1.0, o)), nothing());
    assert_eq!(run(|o| c.on_text("3", 1.0, o)), nothing());
    assert_eq!(run(|o| c.on_text("5", 1.0, o)), nothing());
    assert!(c.is_connected());
}

#[test]
fn client_close_leaves_namespace_and_stops() {
    let mut c = connected_client(0.0);
    assert_eq!(
        run(|o| c.close(o)),
        (
            vec![PushOutput::Send("41/helpdesk,".into()), PushOutput::Close],
            Report::Disconnected {
                reason: DisconnectReason::ClientClose,
                next: Next::Stop
            }
        )
    );
    assert_eq!(c.state(), ConnectionState::Idle);
    assert_eq!(c.next_deadline(), None);
    assert_eq!(run(|o| c.on_transport_close("", 5.0, o)), nothing());
}

#[test]
fn codec_errors_read_as_before() {
    for (error, text) in [
        (CodecError::Empty, "empty packet"),
        (
            CodecError::UnknownEngineType('é'),
            "unknown Engine.IO packet type \"é\"",
        ),
        (
            CodecError::UnknownSocketType('9'),
            "unknown Socket.IO packet type \"9\"",
        ),
        (
            CodecError::Handshake("empty sid".into()),
            "invalid Engine.IO open packet: empty sid",
        ),
        (
            CodecError::Namespace("/a b".into()),
            "invalid namespace \"/a b\"",
        ),
        (
            CodecError::AckId("missing on ACK"),
            "invalid acknowledgement id: missing on ACK",
        ),
        (CodecError::Json("x".into()), "payload is not JSON: x"),
        (
            CodecError::Payload {
                packet: "EVENT",
                reason: "must be an array",
            },
            "invalid EVENT payload: must be an array",
        ),
    ] {
        assert_eq!(error.to_string(), text);
    }
}

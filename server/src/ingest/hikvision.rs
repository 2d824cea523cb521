//! Hikvision ANPR cameras' ISAPI alarm upload, mapped onto a native read. The camera posts each
//! event to its alarm server ("HTTP listening") as `multipart/form-data`: an `anpr.xml` part
//! holding an `EventNotificationAlert`, and a part per picture (`licensePlatePicture.jpg`,
//! `detectionPicture.jpg`, `vehiclePicture.jpg`, named as its file). Heartbeats and other events
//! come as an `EventNotificationAlert` alone, whose `eventType` is not `ANPR`.
//!
//! What maps to what: `ANPR/licensePlate`; `ANPR/confidenceLevel` (0 to 100) as the confidence
//! (0 to 1); `dateTime` (ISO 8601 with the camera's offset) in UTC; `ANPR/direction` (`forward`
//! or `reverse`, as the camera names it) as the direction; `ANPR/line` as the lane;
//! `ANPR/vehicleInfo/color` as the colour. The make is not taken: the camera sends it as a code
//! of its own. The camera is known by its `macAddress` (else its `ipAddress`), lower-case;
//! a channel other than the first (an NVR's) is added after a slash: `bc:ba:c2:00:11:22/3`.
//! The licence plate picture is the plate patch, the detection picture (else the vehicle
//! picture) the overview; both are brought within the limits at ingest like any read's (R2).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use shared::{ImageKind, NativeRead, Plate};

/// What an alert holds.
#[derive(Debug)]
pub enum Alert {
    /// A plate read, with what it was (without its pictures) for a dead letter should ingest
    /// refuse it.
    Read { read: Box<NativeRead>, received: Box<RawValue> },
    /// Nothing to store: a heartbeat or another event (its `eventType`), or an ANPR event
    /// without a plate read.
    Nothing(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventNotificationAlert {
    ip_address: Option<String>,
    mac_address: Option<String>,
    #[serde(rename = "channelID")]
    channel_id: Option<String>,
    date_time: Option<String>,
    event_type: Option<String>,
    #[serde(rename = "ANPR")]
    anpr: Option<Anpr>,
    /// Some firmwares put it here rather than in `ANPR`.
    vehicle_info: Option<VehicleInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Anpr {
    license_plate: Option<String>,
    confidence_level: Option<String>,
    direction: Option<String>,
    line: Option<String>,
    vehicle_info: Option<VehicleInfo>,
}

#[derive(Debug, Deserialize)]
struct VehicleInfo {
    color: Option<String>,
}

/// The name of the XML part (or file) holding the alert.
pub const ALERT_PART: &str = "anpr.xml";

/// Which image a picture part is, by its name (or its file's): the licence plate picture is the
/// plate patch; the detection picture, or the vehicle picture, the overview. Other parts are
/// not kept.
pub fn picture_kind(name: &str) -> Option<(ImageKind, u8)> {
    let name = name.to_ascii_lowercase();
    if name.starts_with("licenseplatepicture") {
        Some((ImageKind::Plate, 0))
    } else if name.starts_with("detectionpicture") {
        Some((ImageKind::Overview, 0))
    } else if name.starts_with("vehiclepicture") {
        // Taken when there is no detection picture.
        Some((ImageKind::Overview, 1))
    } else {
        None
    }
}

/// Text worth keeping: not empty, not the camera's "unknown".
fn known(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("unknown"))
}

/// The name of the document's root element.
fn root_name(xml: &str) -> Result<String, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Ok(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::Eof) => return Err("anpr.xml holds no element".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("anpr.xml is not XML: {e}")),
        }
    }
}

/// Maps an alert (its XML, and the pictures sent with it) to a read, to nothing (a heartbeat, or
/// an ANPR event without a plate), or says why it cannot.
pub fn parse(xml: &str, plate_picture: Option<&[u8]>, overview: Option<&[u8]>) -> Result<Alert, String> {
    let root = root_name(xml)?;
    if root != "EventNotificationAlert" {
        return Err(format!("anpr.xml holds a `{root}`, not an EventNotificationAlert"));
    }
    let alert: EventNotificationAlert =
        quick_xml::de::from_str(xml).map_err(|e| format!("anpr.xml is not an EventNotificationAlert: {e}"))?;
    let event = known(alert.event_type.as_deref()).ok_or("anpr.xml names no eventType")?;
    if !event.eq_ignore_ascii_case("ANPR") {
        return Ok(Alert::Nothing(event.to_owned()));
    }
    let anpr = alert.anpr.ok_or("an ANPR event without its ANPR element")?;
    // A vehicle seen without its plate read: nothing to store.
    let Some(text) = known(anpr.license_plate.as_deref()) else {
        return Ok(Alert::Nothing("ANPR without a plate".into()));
    };
    let plate = Plate::parse(text).map_err(|e| format!("ANPR/licensePlate: {e}"))?;

    let device = known(alert.mac_address.as_deref())
        .map(|mac| mac.to_ascii_lowercase().replace('-', ":"))
        .or_else(|| known(alert.ip_address.as_deref()).map(str::to_owned))
        .ok_or("the alert names no camera: neither macAddress nor ipAddress")?;
    let camera = match known(alert.channel_id.as_deref()) {
        Some(channel) if channel != "1" => format!("{device}/{channel}"),
        _ => device,
    };
    let stamp = known(alert.date_time.as_deref()).ok_or("the alert has no dateTime")?;
    let captured_at = DateTime::parse_from_rfc3339(stamp)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("dateTime `{stamp}` is not an ISO 8601 time with its offset"))?;
    let level = known(anpr.confidence_level.as_deref()).ok_or("ANPR/confidenceLevel is missing")?;
    let percent: f64 = level.parse().map_err(|_| format!("ANPR/confidenceLevel `{level}` is not a number"))?;
    // In percent (R1: out of range is refused, not clamped).
    if !(0.0..=100.0).contains(&percent) {
        return Err(format!("ANPR/confidenceLevel {percent} is not between 0 and 100"));
    }
    let lane = known(anpr.line.as_deref()).and_then(|l| l.parse::<u8>().ok()).filter(|l| *l > 0);
    let colour = anpr.vehicle_info.or(alert.vehicle_info).and_then(|v| known(v.color.as_deref()).map(str::to_owned));
    let base64 = |bytes: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let read = NativeRead {
        plate,
        captured_at,
        camera,
        confidence: percent / 100.0,
        direction: known(anpr.direction.as_deref()).map(str::to_ascii_lowercase),
        lane,
        make: None,
        model: None,
        colour,
        plate_image: plate_picture.map(base64),
        overview_image: overview.map(base64),
    };
    read.check()?;
    let received = serde_json::value::to_raw_value(&json!({
        "eventType": event, "camera": read.camera, "dateTime": stamp, "licensePlate": text,
        "confidenceLevel": level, "pictures": [plate_picture.is_some(), overview.is_some()],
    }))
    .map_err(|e| e.to_string())?;
    Ok(Alert::Read { read: Box::new(read), received })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An ANPR alert as the cameras send it (ISAPI's `EventNotificationAlert` for ANPR).
    pub(crate) fn alert(plate: &str, event: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>10.20.0.64</ipAddress>
<ipv6Address>::</ipv6Address>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>BC:BA:C2:00:11:22</macAddress>
<channelID>1</channelID>
<dateTime>2026-03-02T09:40:00+01:00</dateTime>
<activePostCount>1</activePostCount>
<eventType>{event}</eventType>
<eventState>active</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>A40 westbound</channelName>
<ANPR>
<country>3</country>
<licensePlate>{plate}</licensePlate>
<line>2</line>
<direction>forward</direction>
<confidenceLevel>97</confidenceLevel>
<plateType>unknown</plateType>
<plateColor>yellow</plateColor>
<licenseBright>0</licenseBright>
<vehicleType>vehicle</vehicleType>
<detectDir>8</detectDir>
<vehicleInfo>
<index>1</index>
<colorDepth>2</colorDepth>
<color>white</color>
<length>0</length>
<vehicleLogoRecog>1036</vehicleLogoRecog>
</vehicleInfo>
<pictureInfoList>
<pictureInfo><fileName>licensePlatePicture.jpg</fileName><type>licensePlatePicture</type><dataType>0</dataType></pictureInfo>
<pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type><dataType>0</dataType></pictureInfo>
</pictureInfoList>
<originalLicensePlate>{plate}</originalLicensePlate>
<vehicleListName>otherList</vehicleListName>
</ANPR>
<UUID>4f3c9a2e-0000-4000-8000-1c2b3a4d5e6f</UUID>
<picNum>2</picNum>
<isDataRetransmission>false</isDataRetransmission>
</EventNotificationAlert>
"#
        )
    }

    fn read_of(alert: Alert) -> NativeRead {
        match alert {
            Alert::Read { read, .. } => *read,
            Alert::Nothing(why) => panic!("{why}"),
        }
    }

    #[test]
    fn an_anpr_alert_becomes_a_read() {
        let read = read_of(parse(&alert("KE19 XYZ", "ANPR"), Some(b"patch"), Some(b"scene")).unwrap());
        assert_eq!(read.plate.as_str(), "KE19XYZ");
        assert_eq!(read.camera, "bc:ba:c2:00:11:22", "the MAC address, lower-case; channel 1 is the camera");
        assert_eq!(read.captured_at.to_rfc3339(), "2026-03-02T08:40:00+00:00", "in UTC");
        assert!((read.confidence - 0.97).abs() < 1e-9);
        assert_eq!(
            (read.direction.as_deref(), read.lane, read.colour.as_deref()),
            (Some("forward"), Some(2), Some("white"))
        );
        assert_eq!((read.make, read.model), (None, None));
        assert_eq!((read.plate_image.as_deref(), read.overview_image.as_deref()), (Some("cGF0Y2g="), Some("c2NlbmU=")));
    }

    #[test]
    fn a_channel_other_than_the_first_and_a_camera_without_a_mac_are_named() {
        let nvr = alert("KE19XYZ", "ANPR").replace("<channelID>1</channelID>", "<channelID>3</channelID>");
        assert_eq!(read_of(parse(&nvr, None, None).unwrap()).camera, "bc:ba:c2:00:11:22/3");
        let no_mac = alert("KE19XYZ", "ANPR").replace("<macAddress>BC:BA:C2:00:11:22</macAddress>", "");
        assert_eq!(read_of(parse(&no_mac, None, None).unwrap()).camera, "10.20.0.64");
    }

    #[test]
    fn heartbeats_other_events_and_unread_plates_hold_nothing() {
        let heartbeat = r#"<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<ipAddress>10.20.0.64</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>
<macAddress>bc:ba:c2:00:11:22</macAddress><channelID>1</channelID>
<dateTime>2026-03-02T09:40:00+01:00</dateTime><activePostCount>0</activePostCount>
<eventType>videoloss</eventType><eventState>inactive</eventState><eventDescription>videoloss alarm</eventDescription>
</EventNotificationAlert>"#;
        assert!(matches!(parse(heartbeat, None, None).unwrap(), Alert::Nothing(e) if e == "videoloss"));
        for unread in ["", "unknown", "  "] {
            assert!(matches!(parse(&alert(unread, "ANPR"), None, None).unwrap(), Alert::Nothing(_)), "{unread:?}");
        }
    }

    #[test]
    fn what_cannot_be_a_read_is_named() {
        let refused = |xml: String| parse(&xml, None, None).unwrap_err();
        assert!(refused("<EventNotificationAlert><eventType>ANPR".into()).starts_with("anpr.xml is not"));
        assert!(refused("<html><body>hello</body></html>".into()).contains("holds a `html`"));
        assert!(refused("".into()).contains("holds no element"));
        assert!(refused(alert("KE_19", "ANPR")).starts_with("ANPR/licensePlate"));
        let over = alert("KE19XYZ", "ANPR").replace(">97<", ">970<");
        assert_eq!(refused(over), "ANPR/confidenceLevel 970 is not between 0 and 100");
        let no_offset = alert("KE19XYZ", "ANPR").replace("09:40:00+01:00", "09:40:00");
        assert!(refused(no_offset).contains("with its offset"));
        let nameless = alert("KE19XYZ", "ANPR")
            .replace("<macAddress>BC:BA:C2:00:11:22</macAddress>", "")
            .replace("<ipAddress>10.20.0.64</ipAddress>", "");
        assert!(refused(nameless).contains("names no camera"));
        assert!(refused(alert("KE19XYZ", "")).contains("names no eventType"));
    }

    #[test]
    fn pictures_are_known_by_their_names() {
        assert_eq!(picture_kind("licensePlatePicture.jpg"), Some((ImageKind::Plate, 0)));
        assert_eq!(picture_kind("detectionPicture.jpg"), Some((ImageKind::Overview, 0)));
        assert_eq!(picture_kind("VehiclePicture.jpg"), Some((ImageKind::Overview, 1)));
        assert_eq!(picture_kind("anpr.xml"), None);
    }

    /// Whatever comes, an answer: a read it gives passes a read's checks.
    fn answered(xml: &str) {
        if let Ok(Alert::Read { read, .. }) = parse(xml, None, None) {
            assert_eq!(read.check(), Ok(()));
            assert!(read.plate.as_str().chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        }
    }

    /// The elements a mutation rewrites the text of.
    const ELEMENTS: [&str; 9] = [
        "licensePlate",
        "confidenceLevel",
        "dateTime",
        "eventType",
        "macAddress",
        "ipAddress",
        "channelID",
        "line",
        "color",
    ];

    proptest! {
        #[test]
        fn arbitrary_bytes_are_answered(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            answered(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn mutated_alerts_are_answered(
            element in 0..ELEMENTS.len(), text in ".{0,24}",
            at in any::<prop::sample::Index>(), bytes in prop::collection::vec(any::<u8>(), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            // An element's text replaced by anything.
            let xml = alert("KE19XYZ", "ANPR");
            let name = ELEMENTS[element];
            let (open, close) = (format!("<{name}>"), format!("</{name}>"));
            let start = xml.find(&open).unwrap() + open.len();
            let end = start + xml[start..].find(&close).unwrap();
            let rewritten = format!("{}{}{}", &xml[..start], text, &xml[end..]);
            answered(&rewritten);
            // Bytes spliced in anywhere.
            let mut spliced = rewritten.clone().into_bytes();
            let i = at.index(spliced.len());
            spliced.splice(i..i, bytes);
            answered(&String::from_utf8_lossy(&spliced));
            // Cut short within the document (not only its trailing newline): an unclosed root is
            // refused.
            let whole = rewritten.trim_end();
            let short = &whole.as_bytes()[..cut.index(whole.len())];
            prop_assert!(parse(&String::from_utf8_lossy(short), None, None).is_err());
        }
    }
}

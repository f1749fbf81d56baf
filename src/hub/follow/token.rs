use super::*;

/// What a link follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Ticket(TicketId),
    Appointment(AppointmentId),
    SignUp(SignUpId),
}

impl Subject {
    pub(super) fn kind(self) -> u8 {
        match self {
            Subject::Ticket(_) => b't',
            Subject::Appointment(_) => b'a',
            Subject::SignUp(_) => b's',
        }
    }

    pub(super) fn id(self) -> u64 {
        match self {
            Subject::Ticket(TicketId(id))
            | Subject::Appointment(AppointmentId(id))
            | Subject::SignUp(SignUpId(id)) => id,
        }
    }

    /// What a command's own events give a link to: the ticket issued (walk-in or check-in),
    /// the appointment booked, the sign-up made.
    pub fn of_events(events: &[Stamped]) -> Option<(Subject, NaiveDate)> {
        events.iter().find_map(|e| match &e.event {
            Event::TicketIssued { ticket, .. } => Some((Subject::Ticket(ticket.id), ticket.day)),
            Event::AppointmentBooked { appointment } => {
                Some((Subject::Appointment(appointment.id), appointment.date))
            }
            Event::SignedUp { signup, .. } => Some((Subject::SignUp(signup.id), signup.date)),
            _ => None,
        })
    }
}

pub(super) const MAC_BYTES: usize = 16;

/// HMAC-SHA256 (RFC 2104) of `message` under a 32-byte key.
pub(super) fn hmac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

pub(super) fn mac(key: &[u8; 32], subject: Subject, day: NaiveDate) -> [u8; MAC_BYTES] {
    let mut m = b"integra-follow\0".to_vec();
    m.push(subject.kind());
    m.extend_from_slice(&subject.id().to_be_bytes());
    m.extend_from_slice(day.to_string().as_bytes());
    let full = hmac(key, &m);
    let mut out = [0u8; MAC_BYTES];
    out.copy_from_slice(&full[..MAC_BYTES]);
    out
}

pub(super) const B64: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(super) fn b64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

pub(super) fn unb64(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes() {
        let v = B64.iter().position(|b| *b == c)? as u32;
        bits = bits << 6 | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

/// The token of a link (kind · id · MAC, base64url).
pub fn token(key: &[u8; 32], subject: Subject, day: NaiveDate) -> String {
    let mut b = vec![subject.kind()];
    b.extend_from_slice(&subject.id().to_be_bytes());
    b.extend_from_slice(&mac(key, subject, day));
    b64(&b)
}

/// What a token claims (not yet checked against its day's MAC).
pub(super) fn parse(token: &str) -> Option<(Subject, [u8; MAC_BYTES])> {
    if token.len() != 34 {
        return None;
    }
    let b = unb64(token)?;
    // One spelling per link (the last character's spare bits must be zero).
    if b.len() != 1 + 8 + MAC_BYTES || b64(&b) != token {
        return None;
    }
    let id = u64::from_be_bytes(b[1..9].try_into().ok()?);
    let subject = match b[0] {
        b't' => Subject::Ticket(TicketId(id)),
        b'a' => Subject::Appointment(AppointmentId(id)),
        b's' => Subject::SignUp(SignUpId(id)),
        _ => return None,
    };
    let mut m = [0u8; MAC_BYTES];
    m.copy_from_slice(&b[9..]);
    Some((subject, m))
}

/// Compare without stopping at the first difference.
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

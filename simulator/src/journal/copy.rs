//! What the journal keeps of an exchange's bytes, in one allocation of its own.

use crate::request::Request;
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Method};

/// Bytes of one piece end in the copy's offset table.
const OFFSET_SIZE: usize = 4;

/// Most bytes of an answer the journal keeps: enough for the characters it shows,
/// so that the journal's byte bound bounds its memory too.
pub const MAX_ANSWER_BYTES: usize = 4 * super::MAX_ANSWER_CHARS;

/// What the journal keeps of an exchange's bytes: the request's target, headers and
/// body, and the part of the answer it shows, copied into one allocation of its own.
/// Holding the request's own parts would hold views into the connection's read
/// buffer, so hyper could not reuse it: every request would then get a fresh buffer,
/// and the journal's thousands of entries would pin megabytes the CPU caches cannot
/// hold (measured: a quarter of a lookup's CPU time). One allocation also makes the
/// entry cheap to drop when it leaves the journal, long after it was last touched.
#[derive(Debug, Clone)]
pub struct ExchangeCopy {
    method: Method,
    /// A count `n` (u32, little-endian), then `n` piece ends (u32 each, relative
    /// to what follows), then the pieces: the target, each header's name and value,
    /// the body, the answer.
    data: Box<[u8]>,
}

impl ExchangeCopy {
    /// A copy of `req`, and of as much of `answer` as the journal shows (at most
    /// [`MAX_ANSWER_BYTES`] bytes).
    pub fn new(req: &Request, answer: &[u8]) -> ExchangeCopy {
        let answer = &answer[..answer.len().min(MAX_ANSWER_BYTES)];
        let target = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let count = 1 + 2 * req.headers.len() + 2;
        let size = target.len()
            + req
                .headers
                .iter()
                .map(|(k, v)| k.as_str().len() + v.len())
                .sum::<usize>()
            + req.body.len()
            + answer.len();
        let mut data = Vec::with_capacity(OFFSET_SIZE * (1 + count) + size);
        data.extend_from_slice(&(count as u32).to_le_bytes());
        data.resize(OFFSET_SIZE * (1 + count), 0);
        let mut end = 0;
        let mut next = OFFSET_SIZE;
        let mut piece = |data: &mut Vec<u8>, bytes: &[u8]| {
            data.extend_from_slice(bytes);
            end += bytes.len();
            data[next..next + OFFSET_SIZE].copy_from_slice(&(end as u32).to_le_bytes());
            next += OFFSET_SIZE;
        };
        piece(&mut data, target.as_bytes());
        for (name, value) in &req.headers {
            piece(&mut data, name.as_str().as_bytes());
            piece(&mut data, value.as_bytes());
        }
        piece(&mut data, &req.body);
        piece(&mut data, answer);
        ExchangeCopy {
            method: req.method.clone(),
            data: data.into_boxed_slice(),
        }
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.data.len()
    }

    fn offset_at(&self, i: usize) -> usize {
        let bytes = &self.data[OFFSET_SIZE * i..OFFSET_SIZE * (i + 1)];
        u32::from_le_bytes(bytes.try_into().expect("four bytes")) as usize
    }

    fn count(&self) -> usize {
        self.offset_at(0)
    }

    fn piece(&self, i: usize) -> &[u8] {
        let payload = &self.data[OFFSET_SIZE * (1 + self.count())..];
        let start = if i == 0 { 0 } else { self.offset_at(i) };
        &payload[start..self.offset_at(i + 1)]
    }

    /// The target as sent: a valid URI's path and query, so ASCII.
    fn target(&self) -> &str {
        std::str::from_utf8(self.piece(0)).unwrap_or("/")
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path as sent.
    pub fn path(&self) -> &str {
        let target = self.target();
        target.split_once('?').map_or(target, |(path, _)| path)
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.target().split_once('?').map(|(_, query)| query)
    }

    /// The headers, names in lower case as hyper gives them.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        (1..self.count() - 2).step_by(2).map(|i| {
            let name = std::str::from_utf8(self.piece(i)).unwrap_or_default();
            (name, self.piece(i + 1))
        })
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        self.piece(self.count() - 2)
    }

    /// What the journal shows of the answer: at most [`MAX_ANSWER_BYTES`] bytes of it.
    pub fn answer(&self) -> &[u8] {
        self.piece(self.count() - 1)
    }

    /// The request again, received at `received`, to decode its parameters when the
    /// journal is read.
    pub fn to_request(&self, received: jiff::Timestamp) -> Request {
        let mut headers = HeaderMap::with_capacity(self.count() / 2);
        for (name, value) in self.headers() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            ) {
                headers.append(name, value);
            }
        }
        Request {
            method: self.method.clone(),
            uri: self.target().parse().unwrap_or_default(),
            headers,
            body: Bytes::copy_from_slice(self.body()),
            received,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::ParamsUsed;

    #[test]
    fn a_kept_request_gives_back_what_came() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        headers.append("x-tag", "a".parse().unwrap());
        headers.append("x-tag", "b".parse().unwrap());
        let req = Request {
            method: Method::POST,
            uri: "/apiproxy/3305/api/lead_update.ashx?by_id=117000001"
                .parse()
                .unwrap(),
            headers,
            body: Bytes::from("%D7%9E%D7%98%D7%A4%D7%9C=%D7%A8%D7%95%D7%A0%D7%99%D7%AA"),
            received: jiff::Timestamp::UNIX_EPOCH,
        };
        let kept = ExchangeCopy::new(&req, br#"{"status":"success"}"#);
        assert_eq!(kept.method(), Method::POST);
        assert_eq!(kept.path(), "/apiproxy/3305/api/lead_update.ashx");
        assert_eq!(kept.query(), Some("by_id=117000001"));
        let headers: Vec<(&str, &[u8])> = kept.headers().collect();
        assert_eq!(
            headers,
            [
                ("content-type", &b"application/x-www-form-urlencoded"[..]),
                ("x-tag", b"a"),
                ("x-tag", b"b")
            ]
        );
        assert_eq!(kept.body(), &req.body[..]);
        assert_eq!(kept.answer(), br#"{"status":"success"}"#);
        let used = ParamsUsed::Merged(crate::request::BodyKinds::FormOrJson);
        assert_eq!(
            kept.to_request(jiff::Timestamp::UNIX_EPOCH)
                .decode_again(used),
            [
                ("by_id".to_owned(), "117000001".to_owned()),
                ("מטפל".to_owned(), "רונית".to_owned())
            ]
        );
    }
}

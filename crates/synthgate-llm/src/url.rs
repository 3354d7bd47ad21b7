//! Base URLs: normalised to one `/v1`, shown without credentials, reduced to their host.
//! Apart from the client so that the spec can show a URL without depending on the client.

/// `base_url` with `/v1` appended to its path unless the path already ends so (trailing
/// slashes ignored); a query string (`?api-version=...`) stays at the end and a fragment is
/// dropped.
pub fn normalise_base(base_url: &str) -> String {
    let (base, query) = split_query(base_url.trim());
    let trimmed = base.trim_end_matches('/');
    let with_v1 = if trimmed.ends_with("/v1") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/v1")
    };
    match query {
        Some(query) => format!("{with_v1}?{query}"),
        None => with_v1,
    }
}

/// `url` cut at its query: the part before `?` and the query (without `?` and any fragment).
pub(crate) fn split_query(url: &str) -> (&str, Option<&str>) {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    }
}

/// The scheme (with `://`, or empty), the userinfo (without `@`, if any), and the rest from
/// the host on.
pub(crate) fn split_userinfo(url: &str) -> (&str, Option<&str>, &str) {
    let (scheme, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => (scheme, Some(&rest[..at]), &rest[at + 1..]),
        None => (scheme, None, rest),
    }
}

/// Query parameter names whose values are credentials: compared ignoring ASCII case, with
/// `-` read as `_`.
const CREDENTIAL_PARAMETERS: [&str; 11] = [
    "key",
    "apikey",
    "api_key",
    "token",
    "access_token",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "sig",
    "signature",
];

pub(crate) fn is_credential_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    CREDENTIAL_PARAMETERS.contains(&name.as_str())
}

/// `url` as messages, logs and summaries show it: the userinfo (`user:password@`) removed, the
/// value of every credential-looking query parameter (`key`, `token`, `api_key`,
/// `access_token`, `password`, `secret`, `sig` and the like, any case) replaced by `REDACTED`,
/// the fragment dropped.
pub fn display_url(url: &str) -> String {
    let (scheme, _, rest) = split_userinfo(url.trim());
    let (base, query) = split_query(rest);
    let mut shown = format!("{scheme}{base}");
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_credential_parameter(name) => format!("{name}=REDACTED"),
                _ => pair.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// The host (and port) of `base_url`, what a manifest may record: no credentials, path or
/// query.
pub fn host_of(base_url: &str) -> String {
    let (_, _, rest) = split_userinfo(base_url.trim());
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..end].to_string()
}

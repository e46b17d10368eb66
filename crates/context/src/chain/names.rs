//! Name constraints as OpenSSL 3.0 checks them (`crypto/x509/v3_ncons.c`:
//! `NAME_CONSTRAINTS_check`, `NAME_CONSTRAINTS_check_CN`, `nc_match`).

use super::x509::{canonical_name, Cert};
use crate::VerifyCode;
use x509_parser::extensions::{GeneralName, NameConstraints};

/// A name of the certificate, in the forms the constraint types compare.
enum Name<'n> {
    Dir(&'n [u8]),
    Dns(&'n [u8]),
    Email(&'n [u8]),
    Uri(&'n [u8]),
    Ip(&'n [u8]),
    /// A name type OpenSSL cannot constrain (otherName, X.400, EDI party, RID).
    Other(u8),
}

/// The constraint type of a general name: 0 otherName .. 8 registeredID.
fn kind(name: &GeneralName<'_>) -> u8 {
    match name {
        GeneralName::OtherName(..) => 0,
        GeneralName::RFC822Name(_) => 1,
        GeneralName::DNSName(_) => 2,
        GeneralName::X400Address(_) => 3,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EDIPartyName(_) => 5,
        GeneralName::URI(_) => 6,
        GeneralName::IPAddress(_) => 7,
        GeneralName::RegisteredID(_) => 8,
        GeneralName::Invalid(..) => 9,
    }
}

fn name_kind(name: &Name<'_>) -> u8 {
    match name {
        Name::Dir(_) => 4,
        Name::Dns(_) => 2,
        Name::Email(_) => 1,
        Name::Uri(_) => 6,
        Name::Ip(_) => 7,
        Name::Other(k) => *k,
    }
}

/// `NAME_CONSTRAINTS_check(cert, nc)`, then for a leaf without DNS names the subject
/// CNs that look like host names (`NAME_CONSTRAINTS_check_CN`, OpenSSL 3.0's rule).
pub(crate) fn check(
    cert: &Cert<'_>,
    nc: &NameConstraints<'_>,
    leaf: bool,
) -> Result<(), VerifyCode> {
    let subject_dir;
    if !cert.subject_empty {
        subject_dir = cert.subject.clone();
        nc_match(&Name::Dir(&subject_dir), nc)?;
        for email in &cert.subject_emails {
            nc_match(&Name::Email(email), nc)?;
        }
    }
    let mut has_dns = false;
    let san_names: Vec<(Name<'_>, Option<Vec<u8>>)> = cert
        .san
        .iter()
        .map(|n| match n {
            GeneralName::DNSName(d) => {
                has_dns = true;
                (Name::Dns(d.as_bytes()), None)
            }
            GeneralName::RFC822Name(e) => (Name::Email(e.as_bytes()), None),
            GeneralName::URI(u) => (Name::Uri(u.as_bytes()), None),
            GeneralName::IPAddress(ip) => (Name::Ip(ip), None),
            GeneralName::DirectoryName(d) => (Name::Other(4), Some(canonical_name(d))),
            other => (Name::Other(kind(other)), None),
        })
        .collect();
    for (name, dir) in &san_names {
        match dir {
            Some(canon) => nc_match(&Name::Dir(canon), nc)?,
            None => nc_match(name, nc)?,
        }
    }
    if leaf && !has_dns {
        for cn in &cert.subject_cns {
            let Some(cn) = cn else { continue };
            if cn.contains('\0') {
                return Err(VerifyCode::UnsupportedNameSyntax);
            }
            if looks_like_host(cn.as_bytes()) {
                nc_match(&Name::Dns(cn.as_bytes()), nc)?;
            }
        }
    }
    Ok(())
}

/// `cn2dnsid`: letters, digits, `_`, inner `-` and `.`, at least two labels.
fn looks_like_host(name: &[u8]) -> bool {
    let mut dns = false;
    for (i, &c) in name.iter().enumerate() {
        if c.is_ascii_alphanumeric() || c == b'_' {
            continue;
        }
        if i > 0 && i + 1 < name.len() {
            if c == b'-' {
                continue;
            }
            if c == b'.' && name[i + 1] != b'.' && name[i - 1] != b'-' && name[i + 1] != b'-' {
                dns = true;
                continue;
            }
        }
        return false;
    }
    dns
}

/// `nc_match`: a permitted subtree of the name's type must match when there is
/// one; no excluded subtree may.
fn nc_match(name: &Name<'_>, nc: &NameConstraints<'_>) -> Result<(), VerifyCode> {
    let k = name_kind(name);
    let mut state = 0; // 0 no subtree of this type, 1 none matched yet, 2 matched
    for sub in nc.permitted_subtrees.iter().flatten() {
        if kind(&sub.base) != k {
            continue;
        }
        if state == 2 {
            continue;
        }
        state = 1;
        match match_single(name, &sub.base) {
            Ok(()) => state = 2,
            Err(VerifyCode::PermittedViolation) => {}
            Err(e) => return Err(e),
        }
    }
    if state == 1 {
        return Err(VerifyCode::PermittedViolation);
    }
    for sub in nc.excluded_subtrees.iter().flatten() {
        if kind(&sub.base) != k {
            continue;
        }
        match match_single(name, &sub.base) {
            Ok(()) => return Err(VerifyCode::ExcludedViolation),
            Err(VerifyCode::PermittedViolation) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `nc_match_single`: `Ok` when `name` is inside `base`.
fn match_single(name: &Name<'_>, base: &GeneralName<'_>) -> Result<(), VerifyCode> {
    match (name, base) {
        (Name::Dir(n), GeneralName::DirectoryName(b)) => {
            let b = canonical_name(b);
            if n.starts_with(&b) {
                Ok(())
            } else {
                Err(VerifyCode::PermittedViolation)
            }
        }
        (Name::Dns(n), GeneralName::DNSName(b)) => nc_dns(n, b.as_bytes()),
        (Name::Email(n), GeneralName::RFC822Name(b)) => nc_email(n, b.as_bytes()),
        (Name::Uri(n), GeneralName::URI(b)) => nc_uri(n, b.as_bytes()),
        (Name::Ip(n), GeneralName::IPAddress(b)) => nc_ip(n, b),
        _ => Err(VerifyCode::UnsupportedConstraintType),
    }
}

fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn nc_dns(dns: &[u8], base: &[u8]) -> Result<(), VerifyCode> {
    if base.is_empty() {
        return Ok(());
    }
    if dns.len() < base.len() {
        return Err(VerifyCode::PermittedViolation);
    }
    let tail = &dns[dns.len() - base.len()..];
    if dns.len() > base.len() && base[0] != b'.' && dns[dns.len() - base.len() - 1] != b'.' {
        return Err(VerifyCode::PermittedViolation);
    }
    if eq_ignore_case(tail, base) {
        Ok(())
    } else {
        Err(VerifyCode::PermittedViolation)
    }
}

fn nc_email(email: &[u8], base: &[u8]) -> Result<(), VerifyCode> {
    let Some(at) = email.iter().rposition(|&c| c == b'@') else {
        return Err(VerifyCode::UnsupportedNameSyntax);
    };
    let base_at = base.iter().rposition(|&c| c == b'@');
    if base_at.is_none() && base.first() == Some(&b'.') {
        if email.len() > base.len() && eq_ignore_case(&email[email.len() - base.len()..], base) {
            return Ok(());
        }
        return Err(VerifyCode::PermittedViolation);
    }
    let mut base_host = base;
    if let Some(base_at) = base_at {
        if base_at != 0 && (base_at != at || base[..base_at] != email[..at]) {
            return Err(VerifyCode::PermittedViolation);
        }
        base_host = &base[base_at + 1..];
    }
    if eq_ignore_case(base_host, &email[at + 1..]) {
        Ok(())
    } else {
        Err(VerifyCode::PermittedViolation)
    }
}

fn nc_uri(uri: &[u8], base: &[u8]) -> Result<(), VerifyCode> {
    let Some(colon) = uri.iter().position(|&c| c == b':') else {
        return Err(VerifyCode::UnsupportedNameSyntax);
    };
    if uri.len() - colon < 3
        || uri.get(colon + 1) != Some(&b'/')
        || uri.get(colon + 2) != Some(&b'/')
    {
        return Err(VerifyCode::UnsupportedNameSyntax);
    }
    let host_start = colon + 3;
    let rest = &uri[host_start..];
    let end = rest
        .iter()
        .position(|&c| c == b':')
        .or_else(|| rest.iter().position(|&c| c == b'/'))
        .unwrap_or(rest.len());
    let host = &rest[..end];
    if host.is_empty() {
        return Err(VerifyCode::UnsupportedNameSyntax);
    }
    if base.first() == Some(&b'.') {
        if host.len() > base.len() && eq_ignore_case(&host[host.len() - base.len()..], base) {
            return Ok(());
        }
        return Err(VerifyCode::PermittedViolation);
    }
    if eq_ignore_case(host, base) {
        Ok(())
    } else {
        Err(VerifyCode::PermittedViolation)
    }
}

fn nc_ip(ip: &[u8], base: &[u8]) -> Result<(), VerifyCode> {
    let len = ip.len();
    if !matches!(len, 4 | 16) || base.len() != 2 * len {
        return Err(VerifyCode::PermittedViolation);
    }
    let (addr, mask) = base.split_at(len);
    if ip
        .iter()
        .zip(addr)
        .zip(mask)
        .all(|((i, a), m)| i & m == a & m)
    {
        Ok(())
    } else {
        Err(VerifyCode::PermittedViolation)
    }
}

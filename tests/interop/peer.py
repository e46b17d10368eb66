"""The interop matrix's Python peer (tests/interop): an `ssl` client or server configured by
one JSON argument, printing one JSON line per connection (and {"listening": PORT} for a
server), as peer.js does. Python's ssl module has no OCSP stapling on either side.
Usage: python3 peer.py '{"role": "client"|"server", ...}'
"""

import base64
import json
import socket
import ssl
import sys

c = json.loads(sys.argv[1])
VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def raw(der):
    return base64.b64encode(der).decode() if der else None


def context(purpose, key, cert):
    ctx = ssl.SSLContext(purpose)
    if c.get("version"):
        ctx.minimum_version = ctx.maximum_version = VERSIONS[c["version"]]
    if cert:
        ctx.load_cert_chain(cert, key)
    if c.get("ca"):
        ctx.load_verify_locations(c["ca"])
    for crl in c.get("crl") or []:
        ctx.load_verify_locations(crl)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    if c.get("alpn"):
        ctx.set_alpn_protocols(c["alpn"])
    return ctx


def client():
    ctx = context(ssl.PROTOCOL_TLS_CLIENT, c.get("key"), c.get("cert"))
    session = None
    for _ in range(c.get("connections", 1)):
        seen = {"connected": False}
        try:
            sock = socket.create_connection(("127.0.0.1", c["port"]), timeout=10)
            tls = ctx.wrap_socket(sock, server_hostname=c.get("servername"), session=session)
            seen.update(connected=True, protocol=tls.version(),
                        alpn=tls.selected_alpn_protocol(), reused=tls.session_reused,
                        peer=raw(tls.getpeercert(binary_form=True)))
            tls.sendall(b"hello")
            echo = b""
            while len(echo) < 5:
                chunk = tls.recv(5 - len(echo))
                if not chunk:
                    break
                echo += chunk
            seen["echoed"] = echo == b"hello"
            # TLS 1.3 tickets arrive after the handshake: read, then take the session
            session = tls.session
            tls.close()
        except ssl.SSLCertVerificationError as e:
            seen["error"] = e.verify_message
        except (OSError, ssl.SSLError) as e:
            seen["error"] = str(e)
        out(seen)


def server():
    ctx = context(ssl.PROTOCOL_TLS_SERVER, c["key"], c["cert"])
    if c.get("requestCert"):
        ctx.verify_mode = ssl.CERT_REQUIRED
    names = {}
    if c.get("sni"):
        other = context(ssl.PROTOCOL_TLS_SERVER, c["sni"]["key"], c["sni"]["cert"])
        other.verify_mode = ctx.verify_mode

        def pick(sslobj, name, _ctx):
            names["last"] = name
            if name == c["sni"]["name"]:
                sslobj.context = other

        ctx.sni_callback = pick
    listener = socket.create_server(("127.0.0.1", 0))
    out({"listening": listener.getsockname()[1]})
    for _ in range(c.get("connections", 1)):
        names.clear()
        conn, _addr = listener.accept()
        conn.settimeout(10)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError) as e:
            out({"connected": False, "error": str(e)})
            conn.close()
            continue
        out({"connected": True, "protocol": tls.version(),
             "alpn": tls.selected_alpn_protocol(), "reused": tls.session_reused,
             "servername": names.pop("last", None),
             "peer": raw(tls.getpeercert(binary_form=True))})
        try:
            while True:
                data = tls.recv(4096)
                if not data:
                    break
                tls.sendall(data)
            tls.unwrap()
        except (OSError, ssl.SSLError):
            pass
        tls.close()


client() if c["role"] == "client" else server()

"""A real SMTP server for the email tests: aiosmtpd on a loopback port.

usage: smtp_server.py OUT_DIR PORT MODE [CERT KEY] [USER PASSWORD]
MODE is none, starttls or tls. Each message is written to OUT_DIR as N.eml with
N.json beside it (envelope, whether TLS was on, who logged in). Prints READY when
it accepts connections.
"""

import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out_dir, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rest = sys.argv[4:]
cert = key = user = password = None
if mode != "none":
    cert, key, rest = rest[0], rest[1], rest[2:]
if rest:
    user, password = rest[0], rest[1]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out_dir) if f.endswith(".eml")])
        base = os.path.join(out_dir, f"{n:04d}")
        with open(base + ".json", "w") as f:
            json.dump(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    # STARTTLS sets session.ssl; implicit TLS shows on the transport.
                    "tls": session.ssl is not None
                    or server.transport.get_extra_info("ssl_object") is not None,
                    "login": getattr(session, "auth_data", None) if isinstance(getattr(session, "auth_data", None), str) else None,
                },
                f,
            )
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    ):
        return AuthResult(success=True, auth_data=user)
    return AuthResult(success=False, handled=False)


kwargs = {"hostname": "127.0.0.1", "port": port}
if user:
    # With implicit TLS the whole session is encrypted, but aiosmtpd only counts
    # STARTTLS as TLS for AUTH: require it in that mode alone.
    kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=(mode == "starttls"))
else:
    kwargs.update(auth_require_tls=False)
if mode != "none":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if mode == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    else:
        kwargs.update(server_hostname="localhost", ssl_context=context)

controller = Controller(Handler(), **kwargs)
controller.start()
print("READY", flush=True)
while True:
    time.sleep(3600)

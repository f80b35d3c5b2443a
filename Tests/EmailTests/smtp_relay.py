"""An SMTP relay for the e-mail tests: aiosmtpd (PyPI) with STARTTLS required
and AUTH (LOGIN/PLAIN) required after it, writing what it accepts to a maildir
and a line per successful login to MAILDIR.logins (one per SMTP session).
Usage: smtp_relay.py PORT MAILDIR CERT KEY USER PASSWORD"""
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, maildir, cert, key, user, password = sys.argv[1:7]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    if ok:
        with open(maildir + ".logins", "a") as logins:
            logins.write("login\n")
    # handled=False: aiosmtpd answers 535 itself on a refusal.
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port), tls_context=context,
                        require_starttls=True, authenticator=authenticator, auth_required=True, auth_require_tls=True)
controller.start()
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()

"""An aiosmtpd handler for kefu-mail's tests: a real SMTP peer on loopback that files each message it accepts.

Run as `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR` with this directory on PYTHONPATH.
Each accepted message is written to DIR/NNNN.eml (the bytes as received) and DIR/NNNN.json (the envelope), the
.eml renamed into place last so that a reader never sees half a file. Recipients whose local part is `reject`
get `550 5.1.1`, `tempfail` get `451 4.3.0`, as a real server answers an unknown or an over-quota mailbox.
"""
import json
import os


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: the directory to write messages to")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "reject":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local == "tempfail":
            return "451 4.3.0 <%s>: mailbox temporarily unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Ok: queued as %04d" % self.count

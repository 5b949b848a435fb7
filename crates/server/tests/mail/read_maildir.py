"""Reads every message an SMTP sink (aiosmtpd's Mailbox handler) kept in a Maildir, with
Python's standard MIME parser and the `icalendar` library, and prints them as JSON: what a
test of the service's email checks, read by parsers that are not the service's own."""

import email
import email.policy
import json
import mailbox
import sys

import icalendar


def calendar_of(message):
    for part in message.walk():
        if part.get_content_type() == "text/calendar" and not part.is_attachment():
            calendar = icalendar.Calendar.from_ical(part.get_content())
            events = [c for c in calendar.walk() if c.name == "VEVENT"]
            event = events[0]
            return {
                "method": str(calendar.get("METHOD")),
                "contentMethod": part.get_param("method"),
                "events": len(events),
                "uid": str(event.get("UID")),
                "sequence": int(event.get("SEQUENCE")),
                "start": event.decoded("DTSTART").isoformat(),
                "end": event.decoded("DTEND").isoformat(),
                "status": str(event.get("STATUS")),
                "url": str(event.get("URL")) if event.get("URL") else None,
                "summary": str(event.get("SUMMARY")),
                "description": str(event.get("DESCRIPTION")),
                "organizer": str(event.get("ORGANIZER")),
                "attendee": str(event.get("ATTENDEE")),
            }
    return None


def arrival(key):
    """A Maildir name's time and microseconds (`1733500000.M12345P…`): its arrival order (the
    microseconds are not zero-padded, so the names do not sort as text)."""
    seconds, rest = key.split(".", 1)
    micros = rest[1:].split("P", 1)[0] if rest.startswith("M") else "0"
    return int(seconds), int(micros) if micros.isdigit() else 0, key


def main(directory):
    box = mailbox.Maildir(directory, factory=None, create=False)
    messages = []
    for key in sorted(box.keys(), key=arrival):
        with box.get_file(key) as raw:
            message = email.message_from_binary_file(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        attachments = [p.get_filename() for p in message.iter_attachments()]
        messages.append(
            {
                "to": str(message["To"]),
                "from": str(message["From"]),
                "subject": str(message["Subject"]),
                "messageId": str(message["Message-ID"]),
                "text": text.get_content() if text is not None else None,
                "attachments": attachments,
                "calendar": calendar_of(message),
            }
        )
    json.dump(messages, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])

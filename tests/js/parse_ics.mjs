// Parse an iCalendar body from stdin with Mozilla's ical.js (Thunderbird's parser) and
// print what it understood as JSON, for tests/support/icaljs.py to compare with Python's parsers.
//
// Times are converted to UTC by ical.js itself, from the VTIMEZONEs in the calendar
// (registered with ICAL.TimezoneService), never from Node's or Python's zone database.
// A body ical.js cannot parse exits 1; problems it parses around are listed in "errors".
// Given a JSON list of bodies instead, it prints a list of results, one per body, so a
// test can check many calendars in one process.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const utc = ICAL.Timezone.utcTimezone;

function parseOne(text) {
  // Zones registered for an earlier body of a batch must not stand in for missing ones.
  ICAL.TimezoneService.reset();
  const jcal = ICAL.parse(text);
  if (!Array.isArray(jcal) || typeof jcal[0] !== "string") {
    throw new Error("expected exactly one top-level component");
  }
  const calendar = new ICAL.Component(jcal);
  if (calendar.name !== "vcalendar") {
    throw new Error(`top-level component is ${calendar.name}, not vcalendar`);
  }

  const errors = [];
  const timezones = [];
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(vtimezone);
    if (!zone.tzid) {
      errors.push("VTIMEZONE without TZID");
      continue;
    }
    ICAL.TimezoneService.register(zone);
    timezones.push(zone.tzid);
  }

  // Zones must be registered before any time is read: ical.js resolves TZID on first use.
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const uid = event.uid;
    const start = event.startDate;
    const end = event.endDate;
    const tzid = vevent.getFirstProperty("dtstart")?.getParameter("tzid") ?? null;
    for (const [name, time] of [["DTSTART", start], ["DTEND", end]]) {
      if (!time) {
        errors.push(`${uid}: no ${name}`);
      } else if (!time.isDate && time.zone === ICAL.Timezone.localTimezone) {
        // Unknown TZID or a floating time: its instant would depend on the reader's zone.
        errors.push(`${uid}: ${name} ${time.toString()} has no known zone`);
      }
    }
    const sequence = vevent.getFirstPropertyValue("sequence");
    return {
      uid,
      summary: event.summary,
      status: vevent.getFirstPropertyValue("status"),
      location: vevent.getFirstPropertyValue("location"),
      sequence: sequence === null ? null : Number(sequence),
      start_utc: start ? start.convertToZone(utc).toString() : null,
      end_utc: end ? end.convertToZone(utc).toString() : null,
      start_local: start ? start.toString() : null,
      tzid,
    };
  });

  return { events, timezones, errors };
}

function main() {
  const text = readFileSync(0, "utf8");
  const result = text.trimStart().startsWith("[")
    ? JSON.parse(text).map(parseOne)
    : parseOne(text);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`ical.js could not parse the calendar: ${error.stack ?? error}\n`);
  process.exit(1);
}

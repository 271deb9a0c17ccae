// The reader's text anchoring (web/reader/anchor.js), which runs in the
// browser on PDF.js's text items: the selectors it computes for a
// selection, and how it finds a quote again on a page whose text moved,
// changed its whitespace or repeats a look-alike sentence.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pageText, selectors, locate, find, CONTEXT } from "../reader/anchor.js";

const items = (...lines) => lines.map((str) => ({ str, hasEOL: true }));

test("page text and selectors: exact, 32 characters of context, positions", () => {
  const { text, starts } = pageText(items("Der Gemeinderat beschließt die Sanierung der Grundschule.", "Die Kosten betragen 6.400.000 Euro und werden im Haushalt veranschlagt."));
  assert.equal(starts[1], "Der Gemeinderat beschließt die Sanierung der Grundschule.\n".length);
  const start = text.indexOf("6.400.000 Euro");
  const [quote, pos] = selectors(text, start, start + "6.400.000 Euro".length);
  assert.equal(quote.exact, "6.400.000 Euro");
  assert.equal(quote.prefix.length, CONTEXT);
  assert.ok(text.slice(0, start).endsWith(quote.prefix));
  assert.equal(quote.suffix, " und werden im Haushalt veransch");
  assert.deepEqual(pos, { type: "TextPositionSelector", start, end: start + 14 });
});

test("locate finds the quote again", () => {
  const old = pageText(items("Erster Absatz.", "Die Kosten betragen 6.400.000 Euro.", "Schluss.")).text;
  const s = old.indexOf("6.400.000 Euro");
  const [quote, pos] = selectors(old, s, s + 14);
  const cases = [
    ["unchanged", old, "6.400.000 Euro"],
    ["text inserted before", "Ein neuer Absatz steht nun am Anfang.\n" + old, "6.400.000 Euro"],
    ["whitespace differs", "Erster Absatz.\nDie Kosten betragen 6.400.000\nEuro.\nSchluss.", "6.400.000\nEuro"],
    ["look-alike sentence first", "Die Mittel betragen 6.400.000 Euro im Vorjahr.\n" + old, "6.400.000 Euro"],
  ];
  for (const [name, text, want] of cases) {
    const at = locate(text, quote, pos);
    assert.ok(at, name);
    assert.equal(text.slice(at.start, at.end), want, name);
    if (name === "look-alike sentence first") assert.ok(at.start > text.indexOf("\n"), "the occurrence with the matching context wins");
  }
  assert.equal(locate("Ganz anderer Text.", quote, pos), null, "a deleted quote is not found");
});

test("find: case- and whitespace-insensitive search", () => {
  const text = "Die Verwaltung empfiehlt.\nDer VERWALTUNGS-\nausschuss tagt. Verwal tung";
  assert.deepEqual(find(text, "verwaltung").map((m) => text.slice(m.start, m.end)), ["Verwaltung", "VERWALTUNG", "Verwal tung"]);
  assert.deepEqual(find(text, "   "), []);
});

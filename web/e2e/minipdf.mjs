// minipdf writes small text PDFs (Helvetica, WinAnsi) for the browser
// tests and the reader benchmark: the project makes its test PDFs itself.
const winAnsi = { "€": 0x80, "„": 0x84, "…": 0x85, "–": 0x96, "—": 0x97, "“": 0x93, "”": 0x94, "‚": 0x82, "‘": 0x91, "’": 0x92 };

function encode(s) {
  const out = [];
  for (const ch of s) {
    let c = winAnsi[ch] ?? ch.codePointAt(0);
    if (c > 255) c = 0x3f;
    if (c === 0x28 || c === 0x29 || c === 0x5c) out.push(0x5c);
    out.push(c);
  }
  return Buffer.from(out);
}

// makePDF returns a PDF with one page per entry of pages (an array of
// lines), A4, 11 pt Helvetica.
export function makePDF(pages) {
  const objs = [];
  const add = (body) => { objs.push(body); return objs.length; };
  const font = add(Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"));
  const pagesID = objs.length + 1 + pages.length * 2; // after the page and content objects
  const kids = [];
  for (const lines of pages) {
    const parts = [Buffer.from("BT /F1 11 Tf 14 TL 56 780 Td\n")];
    for (const l of lines) parts.push(Buffer.from("("), encode(l), Buffer.from(") Tj T*\n"));
    parts.push(Buffer.from("ET\n"));
    const stream = Buffer.concat(parts);
    const content = add(Buffer.concat([Buffer.from(`<< /Length ${stream.length} >>\nstream\n`), stream, Buffer.from("endstream")]));
    kids.push(add(Buffer.from(`<< /Type /Page /Parent ${pagesID} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`)));
  }
  if (add(Buffer.from(`<< /Type /Pages /Kids [${kids.map((k) => k + " 0 R").join(" ")}] /Count ${kids.length} >>`)) !== pagesID) throw new Error("minipdf: object numbering");
  const catalog = add(Buffer.from(`<< /Type /Catalog /Pages ${pagesID} 0 R >>`));
  const chunks = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let len = chunks[0].length;
  const offsets = [];
  objs.forEach((body, i) => {
    offsets.push(len);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from("\nendobj\n")]);
    chunks.push(b);
    len += b.length;
  });
  let xref = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) xref += String(o).padStart(10, "0") + " 00000 n \n";
  chunks.push(Buffer.from(xref + `trailer\n<< /Size ${objs.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${len}\n%%EOF\n`));
  return Buffer.concat(chunks);
}

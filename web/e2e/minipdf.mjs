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
// lines), A4, 11 pt Helvetica. With opts.imageBytes, each page also shows
// a grey noise image of about that many bytes (incompressible, like a
// scan), for realistic file sizes.
export function makePDF(pages, opts = {}) {
  let seed = opts.seed || 1;
  const noise = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; b[i] = 160 + (seed >>> 26); }
    return b;
  };
  const objs = [];
  const add = (body) => { objs.push(body); return objs.length; };
  const font = add(Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"));
  const perPage = opts.imageBytes ? 3 : 2;
  const pagesID = objs.length + 1 + pages.length * perPage; // after the page, content (and image) objects
  const kids = [];
  for (const lines of pages) {
    const parts = [Buffer.from("BT /F1 11 Tf 14 TL 56 780 Td\n")];
    for (const l of lines) parts.push(Buffer.from("("), encode(l), Buffer.from(") Tj T*\n"));
    parts.push(Buffer.from("ET\n"));
    let xobj = "";
    if (opts.imageBytes) {
      const w = 400, hgt = Math.max(1, Math.round(opts.imageBytes / w));
      const img = add(Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${w} /Height ${hgt} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${w * hgt} >>\nstream\n`), noise(w * hgt), Buffer.from("\nendstream")]));
      parts.push(Buffer.from(`q 483 0 0 ${Math.min(380, Math.round(483 * hgt / w))} 56 60 cm /Im1 Do Q\n`));
      xobj = ` /XObject << /Im1 ${img} 0 R >>`;
    }
    const stream = Buffer.concat(parts);
    const content = add(Buffer.concat([Buffer.from(`<< /Length ${stream.length} >>\nstream\n`), stream, Buffer.from("endstream")]));
    kids.push(add(Buffer.from(`<< /Type /Page /Parent ${pagesID} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${font} 0 R >>${xobj} >> /Contents ${content} 0 R >>`)));
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

/**
 * Sockets carry bytes, not text. The write-up's Python encodes its messages
 * as `utf-16`, which starts with a byte-order mark (BOM); plain tools like nc
 * send UTF-8. These two functions let step 01 speak both.
 */
export type TextEncoding = "utf-8" | "utf-16";

const BOM_LITTLE_ENDIAN = Buffer.from([0xff, 0xfe]);
const BOM_BIG_ENDIAN = Buffer.from([0xfe, 0xff]);

/** Text as bytes: UTF-16 the way Python writes it (BOM, then little-endian), or plain UTF-8. */
export function encodeText(text: string, encoding: TextEncoding): Buffer {
  return encoding === "utf-16"
    ? Buffer.concat([BOM_LITTLE_ENDIAN, Buffer.from(text, "utf16le")])
    : Buffer.from(text, "utf8");
}

/**
 * Bytes as text, and which encoding they were in: a UTF-16
 * byte-order mark means UTF-16, anything else UTF-8.
 */
export function decodeText(bytes: Buffer): { text: string; encoding: TextEncoding } {
  if (bytes.subarray(0, 2).equals(BOM_LITTLE_ENDIAN))
    return { text: bytes.subarray(2).toString("utf16le"), encoding: "utf-16" };
  if (bytes.subarray(0, 2).equals(BOM_BIG_ENDIAN)) {
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2))).swap16();
    return { text: swapped.toString("utf16le"), encoding: "utf-16" };
  }
  return { text: bytes.toString("utf8"), encoding: "utf-8" };
}

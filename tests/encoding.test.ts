import { describe, expect, it } from "vitest";
import { decodeText, encodeText } from "../lib/encoding.ts";

/** What Python's bytes("héllo", "utf-16") gives: the BOM FF FE, then little-endian UTF-16. */
const PYTHON_UTF16 = Buffer.from("fffe6800e9006c006c006f00", "hex");

describe("encodeText", () => {
  it("writes UTF-16 the way Python does: BOM first, then little-endian", () => {
    expect(encodeText("héllo", "utf-16")).toEqual(PYTHON_UTF16);
  });

  it("writes UTF-8 without a BOM", () => {
    expect(encodeText("héllo", "utf-8")).toEqual(Buffer.from("68c3a96c6c6f", "hex"));
  });
});

describe("decodeText", () => {
  it.each([
    ["UTF-8", "68c3a96c6c6f", "utf-8"],
    ["UTF-16 little-endian with BOM", "fffe6800e9006c006c006f00", "utf-16"],
    ["UTF-16 big-endian with BOM", "feff006800e9006c006c006f", "utf-16"],
  ] as const)("reads %s", (_, hex, encoding) => {
    expect(decodeText(Buffer.from(hex, "hex"))).toEqual({ text: "héllo", encoding });
  });

  it.each(["utf-8", "utf-16"] as const)(
    "reads back what encodeText wrote in %s, 👻 included",
    (encoding) => {
      expect(decodeText(encodeText("boo 👻", encoding))).toEqual({ text: "boo 👻", encoding });
    },
  );
});

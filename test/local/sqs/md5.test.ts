import { describe, expect, it } from "vitest";
import { md5OfMessageAttributes, md5OfMessageBody } from "../../../lib/local/sqs/md5";

const binary = (text: string) => Buffer.from(text, "utf8").toString("base64");

// Published digests of an independent implementation (the npm package aws-md5-of-message-attributes,
// whose README lists them); the moto differential test checks the same algorithm against moto_server.
describe("SQS message digests", () => {
  it.each([
    [
      "a String attribute",
      { attribName1: { DataType: "String", StringValue: "attribValue 1" } },
      "19e27d4e946b072f3f58da80d94fd778",
    ],
    [
      "a custom Number attribute",
      {
        customNumberTypeAttrib: {
          DataType: "Number.float",
          StringValue: "4563442423554324324264524243.32543234",
        },
      },
      "9fe1b90bbd9965bdf77bac517c7d2495",
    ],
    [
      "a Binary attribute",
      { binaryAttribute: { DataType: "Binary", BinaryValue: binary("Hello binary world!") } },
      "31a92b15d92f8db860eda32aceb656c3",
    ],
    [
      "several attributes, hashed in name order",
      {
        customNumberTypeAttrib: {
          DataType: "Number.float",
          StringValue: "4563442423554324324264524243.32543234",
        },
        binaryAttribute: { DataType: "Binary", BinaryValue: binary("Hello binary world!") },
        attribName1: { DataType: "String", StringValue: "attribValue 1" },
      },
      "c932db14a896c663f83c260297d594ff",
    ],
  ])("hashes %s as SQS does", (_case, attributes, digest) => {
    expect(md5OfMessageAttributes(attributes)).toBe(digest);
  });

  it("omits the attribute digest when there are no attributes", () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it("hashes the body's UTF-8 bytes", () => {
    // `echo -n é | md5sum`: the digest of the two bytes C3 A9.
    expect(md5OfMessageBody("é")).toBe("66ddcd97cfdeabb2f6fb8a999b4bc76f");
  });
});

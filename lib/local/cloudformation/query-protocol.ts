import { randomUUID } from "node:crypto";

/**
 * The AWS query protocol as the local edge speaks it: a form-encoded POST (`Action=...&Version=...`)
 * in, an XML document out. Only what a read-only service needs: building XML from escaped text,
 * the success envelope and the error document.
 */

/** What a query-protocol service answers: an HTTP status and an XML body (`text/xml`). */
export interface QueryAnswer {
  readonly status: number;
  readonly body: string;
  /** The request id the body carries, for the `x-amzn-RequestId` header. */
  readonly requestId: string;
}

/** A service of the AWS query protocol: the action and the form parameters in, XML out. */
export type AwsQueryService = (action: string, parameters: URLSearchParams) => Promise<QueryAnswer>;

/** An error a query-protocol service answers as `<ErrorResponse>`, e.g. `ValidationError`. */
export class QueryError extends Error {
  public override readonly name = "QueryError";

  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
  }
}

/** The namespace-qualified success envelope: `<ActionResponse><ActionResult>…</ActionResult>…`. */
export function queryResult(
  action: string,
  namespace: string,
  resultXml: string,
  requestId: string,
): QueryAnswer {
  return {
    status: 200,
    requestId,
    body: `<${action}Response xmlns="${namespace}"><${action}Result>${resultXml}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/**
 * The query protocol's error document, as the AWS SDK and botocore read it: `Type` (`Sender` for
 * 4xx, `Receiver` for 5xx), `Code` and `Message` inside `Error`, and the request id.
 */
export function errorAnswer(error: QueryError, namespace?: string, requestId = newRequestId()): QueryAnswer {
  const xmlns = namespace === undefined ? "" : ` xmlns="${namespace}"`;
  return {
    status: error.status,
    requestId,
    body: `<ErrorResponse${xmlns}><Error><Type>${error.status >= 500 ? "Receiver" : "Sender"}</Type>${element("Code", error.code)}${element("Message", error.message)}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** A request id in the shape AWS gives them. */
export function newRequestId(): string {
  return randomUUID();
}

/** `<name>text</name>`, the text escaped. */
export function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

/** {@link element}, or nothing when there is no value (the query protocol leaves absent members out). */
export function optionalElement(name: string, text: string | undefined): string {
  return text === undefined ? "" : element(name, text);
}

/** A list of the query protocol: `<name><member>…</member>…</name>`, each item already XML. */
export function memberList(name: string, items: readonly string[]): string {
  return `<${name}>${items.map((item) => `<member>${item}</member>`).join("")}</${name}>`;
}

/**
 * Escapes text for an XML element or attribute. `\r` is written as a character reference, since XML
 * parsers turn a literal CR (and CRLF) into LF; characters XML 1.0 does not allow at all (most C0
 * controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so that every client can parse the
 * document (the AWS CLI's expat refuses even their character references).
 */
export function escapeXml(text: string): string {
  let escaped = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string | undefined;
    if (code === 0x3c) replacement = "&lt;";
    else if (code === 0x3e) replacement = "&gt;";
    else if (code === 0x26) replacement = "&amp;";
    else if (code === 0x22) replacement = "&quot;";
    else if (code === 0x27) replacement = "&apos;";
    else if (code === 0x0d) replacement = "&#xD;";
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a) replacement = "\ufffd";
    else if (code === 0xfffe || code === 0xffff) replacement = "\ufffd";
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else replacement = "\ufffd";
    } else if (code >= 0xdc00 && code <= 0xdfff) replacement = "\ufffd";
    if (replacement !== undefined) {
      escaped += text.slice(from, i) + replacement;
      from = i + 1;
    }
  }
  return from === 0 ? text : escaped + text.slice(from);
}

import { describe, expect, it } from "vitest";
import {
  InvalidEventPatternError,
  PATTERN_LIMITS,
  TEST_EVENT_REQUIRED_FIELDS,
  testEventPattern,
} from "../../../lib/local/pattern";
import { anEvent } from "./events";

const event = JSON.stringify(anEvent({ state: "running", "x-limit": 301.8 }));

function errorOf(run: () => unknown): InvalidEventPatternError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error("expected an InvalidEventPatternError");
}

describe("testEventPattern (the TestEventPattern API)", () => {
  it.each([
    ['{"detail":{"state":["running"]}}', true],
    ['{"detail":{"state":["stopped"]}}', false],
    ['{"detail":{"x-limit":[3.018e2]}}', true],
    ['{ "source" : [ "aws.ec2" ] ,\n  "detail" : { "state" : [ { "prefix" : "run" } ] } }', true],
  ])("answers whether %s matches the event", (pattern, expected) => {
    expect(testEventPattern(pattern, event)).toBe(expected);
  });

  it("reads numbers in the event text by value, whatever their spelling", () => {
    const spelled = event.replace('"x-limit":301.8', '"x-limit":3.018E+2');

    expect(spelled).not.toBe(event);
    expect(testEventPattern('{"detail":{"x-limit":[{"numeric":["=",301.8]}]}}', spelled)).toBe(true);
  });

  it("refuses a pattern that is not JSON, as an EventPattern error", () => {
    const error = errorOf(() => testEventPattern('{"source": [', event));

    expect(error.input).toBe("EventPattern");
    expect(error.message).toMatch(/^Event pattern is not valid\. Reason: the EventPattern is not valid JSON/);
  });

  it("refuses an invalid pattern with the compiler's path", () => {
    const error = errorOf(() => testEventPattern('{"detail":{"n":[{"numeric":[">","5"]}]}}', event));

    expect(error.path).toBe("detail.n[0].numeric[1]");
  });

  it("refuses an event that is not JSON, as an Event error", () => {
    const error = errorOf(() => testEventPattern('{"source":["aws.ec2"]}', "{not json"));

    expect(error.input).toBe("Event");
    expect(error.message).toMatch(/^Event is not valid\. Reason: the Event is not valid JSON/);
  });

  it("refuses an event that is not an object", () => {
    expect(errorOf(() => testEventPattern('{"source":["aws.ec2"]}', "[]")).problem).toContain("[] (array)");
  });

  it.each(TEST_EVENT_REQUIRED_FIELDS)("refuses an event without %s, naming it", (field) => {
    const incomplete = anEvent();
    delete incomplete[field];

    const error = errorOf(() => testEventPattern('{"source":["aws.ec2"]}', JSON.stringify(incomplete)));

    expect(error.input).toBe("Event");
    expect(error.problem).toBe(`the event lacks "${field}", which TestEventPattern requires`);
  });

  it("accepts patterns up to the API maximum, beyond the default rule quota", () => {
    const pattern = JSON.stringify({ source: ["aws.ec2", "x".repeat(3000)] });

    expect(pattern.length).toBeGreaterThan(PATTERN_LIMITS.defaultMaxPatternLength);
    expect(testEventPattern(pattern, event)).toBe(true);
  });

  it("refuses a pattern longer than the API maximum, counting the text as sent", () => {
    const pattern = `{"source":["aws.ec2"]}${" ".repeat(PATTERN_LIMITS.apiMaxPatternLength)}`;

    expect(errorOf(() => testEventPattern(pattern, event)).problem).toBe(
      `the pattern is ${pattern.length} characters long, over the TestEventPattern maximum of 4096`,
    );
  });
});

import { describe, expect, it } from "vitest";
import { AwsServiceError } from "../../lib/local/aws-error";
import { jsonService, type RequestErrors, RequestInput } from "../../lib/local/request-input";

const errors: RequestErrors = {
  missing: (member) => new AwsServiceError("Missing", `missing ${member}`),
  invalid: (member, value, expected) =>
    new AwsServiceError("Invalid", `${member}: ${JSON.stringify(value)} is not ${expected}`),
};

function read(members: Record<string, unknown>): RequestInput {
  return new RequestInput(members, errors);
}

describe("RequestInput", () => {
  it("reads members of the declared types and treats null as absent", () => {
    const input = read({ Name: "a", Count: 3, Tags: ["x"], At: 1_700_000_000, Gone: null });

    expect(input.string("Name")).toBe("a");
    expect(input.integer("Count")).toBe(3);
    expect(input.optionalStringList("Tags")).toEqual(["x"]);
    expect(input.timestamp("At").toISOString()).toBe("2023-11-14T22:13:20.000Z");
    expect(input.optionalString("Gone")).toBeUndefined();
    expect(input.optionalTimestamp("Gone")).toBeUndefined();
  });

  it("reads an ISO 8601 timestamp as well as epoch seconds", () => {
    expect(read({ At: "2026-12-05T10:00:00Z" }).timestamp("At").toISOString()).toBe(
      "2026-12-05T10:00:00.000Z",
    );
  });

  it.each([
    ["string", { M: 5 }, (input: RequestInput) => input.string("M"), "M: 5 is not a string"],
    ["integer", { M: 1.5 }, (input: RequestInput) => input.integer("M"), "M: 1.5 is not an integer"],
    [
      "string list",
      { M: ["a", 1] },
      (input: RequestInput) => input.optionalStringList("M"),
      'M: ["a",1] is not a list of strings',
    ],
    [
      "timestamp",
      { M: "soon" },
      (input: RequestInput) => input.timestamp("M"),
      'M: "soon" is not a timestamp (epoch seconds or ISO 8601)',
    ],
    [
      "structure",
      { M: [1] },
      (input: RequestInput) => input.optionalStructure("M"),
      "M: [1] is not a structure (a JSON object)",
    ],
  ])("refuses a %s member of another type with the service's own error", (_, members, get, message) => {
    expect(() => get(read(members))).toThrow(expect.objectContaining({ code: "Invalid", message }));
  });

  it("names a missing required member, and a nested one by its dotted path", () => {
    expect(() => read({}).string("Name")).toThrow(
      expect.objectContaining({ code: "Missing", message: "missing Name" }),
    );
    const destination = read({ Destination: { FilterArns: "x" } }).optionalStructure("Destination");
    expect(() => destination?.optionalStringList("FilterArns")).toThrow(
      expect.objectContaining({ message: 'Destination.FilterArns: "x" is not a list of strings' }),
    );
    expect(() => destination?.string("Arn")).toThrow(
      expect.objectContaining({ message: "missing Destination.Arn" }),
    );
  });
});

describe("jsonService", () => {
  const service = jsonService(
    {
      Echo: (input) => ({ Name: input.string("Name") }),
      Fail: () => {
        throw new Error("disk full");
      },
    },
    {
      errors,
      unsupported: (operation, supported) =>
        new AwsServiceError("Unknown", `${operation} is not served; served: ${supported.join(", ")}`),
      mapError: (error) => new AwsServiceError("Internal", String(error), 500),
    },
  );

  it("runs an operation of its table on the request's members", async () => {
    await expect(service("Echo", { Name: "n" })).resolves.toEqual({ Name: "n" });
  });

  it("answers an operation outside its table with the table's own list, including inherited names", async () => {
    await expect(service("Delete", {})).rejects.toThrow("Delete is not served; served: Echo, Fail");
    await expect(service("toString", {})).rejects.toMatchObject({ code: "Unknown" });
  });

  it("maps what an operation throws through the service's mapping", async () => {
    await expect(service("Fail", {})).rejects.toMatchObject({ code: "Internal", statusCode: 500 });
  });
});

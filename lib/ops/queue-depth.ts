import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** Visible and in-flight message counts of a queue. */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ depth: number; inFlight: number }> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    depth: Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

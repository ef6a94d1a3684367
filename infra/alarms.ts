// Alarms on what means "jobs are not flowing": anything in a DLQ, and messages waiting too long.
import type { StageConfig } from './config.js';

interface QueuePair {
  queue: sst.aws.Queue;
  dlq: sst.aws.Queue;
}

export function createAlarms(config: StageConfig, queues: { jobs: QueuePair; events: QueuePair }) {
  const topic = new aws.sns.Topic('Alarms');
  if (config.alarmEmail) {
    new aws.sns.TopicSubscription('AlarmsEmail', { topic: topic.arn, protocol: 'email', endpoint: config.alarmEmail });
  }
  const actions = [topic.arn];
  const sqsAlarm = (name: string, queue: sst.aws.Queue, metricName: string, threshold: number, description: string) =>
    new aws.cloudwatch.MetricAlarm(name, {
      alarmDescription: description,
      namespace: 'AWS/SQS',
      metricName,
      dimensions: { QueueName: queue.nodes.queue.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      threshold,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: actions,
      okActions: actions,
    });

  sqsAlarm('JobsDlqDepth', queues.jobs.dlq, 'ApproximateNumberOfMessagesVisible', 1, 'Jobs reached the DLQ: poison jobs or a crashing worker');
  sqsAlarm('EventsDlqDepth', queues.events.dlq, 'ApproximateNumberOfMessagesVisible', 1, 'Events reached the DLQ: the dispatcher keeps failing');
  sqsAlarm(
    'JobsOldestMessage',
    queues.jobs.queue,
    'ApproximateAgeOfOldestMessage',
    config.queues.oldestJobAlarmSeconds,
    'A job has waited too long: workers are not keeping up or cannot start',
  );
  sqsAlarm(
    'EventsOldestMessage',
    queues.events.queue,
    'ApproximateAgeOfOldestMessage',
    config.queues.oldestEventAlarmSeconds,
    'An event has waited too long for the webhook dispatcher',
  );
  return { topic };
}

import { AppConfig } from '../config/config';

/**
 * BullMQ queues of payments and mail live under the deployment's Redis prefix, so parallel test
 * apps and deployments sharing a Redis never share jobs.
 */
export const queuePrefix = (config: AppConfig) => `${config.redisKeyPrefix}bull`;
export const queueConnection = (config: AppConfig) => ({ url: config.redisUrl });

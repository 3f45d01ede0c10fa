/** The legacy binary gateway hosts (A.1); Apple switched them off in 2021, compatible gateways remain. */
export const LEGACY_GATEWAY_HOSTS = {
  production: 'gateway.push.apple.com',
  sandbox: 'gateway.sandbox.push.apple.com',
} as const;
export const LEGACY_GATEWAY_PORT = 2195;
export const FEEDBACK_HOSTS = {
  production: 'feedback.push.apple.com',
  sandbox: 'feedback.sandbox.push.apple.com',
} as const;
export const FEEDBACK_SERVICE_PORT = 2196;

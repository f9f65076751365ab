// serverless-offline ships no types: what tests/support/offline-env.ts uses of its Lambda class.
declare module 'serverless-offline/lambda' {
  export default class Lambda {
    constructor(serverless: unknown, options: { useInProcess: boolean; noTimeout: boolean });
    create(lambdas: { functionKey: string; functionDefinition: unknown }[]): void;
    get(functionKey: string): { setEvent(event: unknown): void; runHandler(): Promise<Record<string, string>> };
    cleanup(): Promise<void>;
  }
}

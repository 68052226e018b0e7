// lars-api-qps: to be written.
export {};

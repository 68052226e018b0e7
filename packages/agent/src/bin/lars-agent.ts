// lars-agent: to be written.
export {};

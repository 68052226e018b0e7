// lars: to be written.
export {};

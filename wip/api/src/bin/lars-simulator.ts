// lars-simulator: to be written.
export {};

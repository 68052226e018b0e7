// lars-dns: to be written.
export {};

// Loads a libbpf object through the verifier (no attach) and prints, per program, what
// `jitprobe check --format json` prints: {"name":...,"insns":N} with N = xlated_prog_len / 8.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: loader FILE.bpf.o\n");
        return 2;
    }
    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj || libbpf_get_error(obj)) {
        fprintf(stderr, "%s: open failed\n", argv[1]);
        return 1;
    }
    if (bpf_object__load(obj)) {
        fprintf(stderr, "%s: load failed\n", argv[1]);
        return 1;
    }
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        struct bpf_prog_info info;
        __u32 len = sizeof(info);
        memset(&info, 0, sizeof(info));
        if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
            return 1;
        printf("{\"type\":\"program\",\"name\":\"%s\",\"insns\":%u,\"insns_before_load\":%zu}\n",
               bpf_program__name(prog), info.xlated_prog_len / 8, bpf_program__insn_cnt(prog));
    }
    bpf_object__close(obj);
    return 0;
}

/* Target for live uprobe tests: calls jp_target_add() N times (N = argv[1], default 10). */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int jp_target_add(int a, int b) {
    __asm__ volatile("" ::: "memory");
    return a + b;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int acc = 0;
    for (int i = 0; i < n; i++)
        acc = jp_target_add(acc, i);
    printf("%d\n", acc);
    return 0;
}

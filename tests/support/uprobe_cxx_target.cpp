// Target for live uprobe tests by C++ name: calls shapes::Square::area(int) const N times
// (N = argv[1], default 10) and the other overload never; jp_wild_one N and jp_wild_two 2N times.
#include <cstdio>
#include <cstdlib>

namespace shapes {
struct Square {
    int side;
    __attribute__((noinline)) int area(int scale) const;
    __attribute__((noinline)) int area(double scale) const;
};
int Square::area(int scale) const {
    __asm__ volatile("" ::: "memory");
    return side * side * scale;
}
int Square::area(double scale) const {
    __asm__ volatile("" ::: "memory");
    return static_cast<int>(side * side * scale);
}
} // namespace shapes

// For wildcard uprobes ("jp_wild_*"): called N and 2N times.
extern "C" __attribute__((noinline)) int jp_wild_one(int x) {
    __asm__ volatile("" ::: "memory");
    return x + 1;
}
extern "C" __attribute__((noinline)) int jp_wild_two(int x) {
    __asm__ volatile("" ::: "memory");
    return x + 2;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 10;
    long total = 0;
    for (int i = 0; i < n; i++)
        total += shapes::Square{i}.area(2) + jp_wild_one(i) + jp_wild_two(i) + jp_wild_two(-i);
    std::printf("%ld\n", total);
    return 0;
}

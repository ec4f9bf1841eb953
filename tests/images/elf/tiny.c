// The smallest program: no libc calls that FORTIFY or the stack protector touch.
int main(void) { return 0; }

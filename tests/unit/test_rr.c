/* test_rr.c -- being written. */
int main(void)
{
	return 0;
}

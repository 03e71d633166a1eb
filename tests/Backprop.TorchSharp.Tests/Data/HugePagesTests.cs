using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class HugePagesTests
{
    [Fact]
    public void Advice_on_a_filled_buffer_keeps_its_content()
    {
        // A wrong advice (MADV_DONTNEED, MADV_FREE) would drop these pages and read back zeros.
        var buffer = new byte[16 << 20];
        new Random(7).NextBytes(buffer);
        var copy = (byte[])buffer.Clone();

        HugePages.Advise(buffer);

        Assert.True(buffer.AsSpan().SequenceEqual(copy));
    }

    [Fact]
    public void Small_and_empty_regions_are_left_alone()
    {
        var small = new byte[4096];
        small[0] = 42;

        HugePages.Advise(small);
        HugePages.Advise([]);

        Assert.Equal(42, small[0]);
    }
}

using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class PixelScalingTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(31)]
    [InlineData(1000)]
    public void Every_byte_becomes_exactly_byte_over_256(int length)
    {
        var pixels = Enumerable.Range(0, length).Select(i => (byte)(i * 7919 % 256)).ToArray();
        var floats = new float[length];

        PixelScaling.ToUnitFloats(pixels, floats);

        Assert.Equal(pixels.Select(b => b / 256f), floats);
    }

    [Fact]
    public void The_largest_pixel_is_255_over_256()
    {
        var floats = new float[256];

        PixelScaling.ToUnitFloats([.. Enumerable.Range(0, 256).Select(b => (byte)b)], floats);

        Assert.Equal((0f, 0.00390625f, 0.99609375f), (floats[0], floats[1], floats[255]));
    }

    [Fact]
    public void Lengths_must_match()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelScaling.ToUnitFloats(new byte[3], new float[4]));
    }
}

using Backprop.Display;
using static TorchSharp.torch;

namespace Backprop.Tests.Display;

/// <summary>Expected strings are what PyTorch 2 prints after <c>torch.set_printoptions(precision=2, linewidth=140, sci_mode=False)</c>.</summary>
public sealed class TensorFormatTests
{
    [Fact]
    public void A_matrix_prints_one_row_per_line_padded_to_the_widest_element()
    {
        using var t = tensor(new float[,] { { -0.0851f, -0.2103f }, { 0.1f, -0.04f } });

        Assert.Equal("tensor([[-0.09, -0.21],\n        [ 0.10, -0.04]])", TensorFormat.Str(t));
    }

    [Fact]
    public void A_scalar_a_vector_of_ints_and_whole_floats_print_as_pytorch_does()
    {
        using var scalar = tensor(4308.7578f);
        using var ints = arange(5);
        using var whole = tensor(new[] { 1f, 2f, -3f });

        Assert.Equal("tensor(4308.76)", TensorFormat.Str(scalar));
        Assert.Equal("tensor([0, 1, 2, 3, 4])", TensorFormat.Str(ints));
        Assert.Equal("tensor([ 1.,  2., -3.])", TensorFormat.Str(whole));
    }

    [Fact]
    public void More_than_1000_elements_are_summarised_to_three_at_each_end()
    {
        using var v = arange(2000f);
        using var m = arange(2000f).reshape(1000, 2) / 4;

        Assert.Equal("tensor([   0.,    1.,    2.,  ..., 1997., 1998., 1999.])", TensorFormat.Str(v));
        Assert.Equal(
            "tensor([[  0.00,   0.25],\n        [  0.50,   0.75],\n        [  1.00,   1.25],\n        ...,\n" +
            "        [498.50, 498.75],\n        [499.00, 499.25],\n        [499.50, 499.75]])", TensorFormat.Str(m));
    }

    [Fact]
    public void A_long_vector_wraps_at_the_line_width()
    {
        using var v = full(40, 0.5f);

        var lines = TensorFormat.Str(v).Split('\n');

        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.True(l.Length <= 140, l));
        Assert.All(lines.Skip(1), l => Assert.StartsWith("        0.50", l));
    }

    [Fact]
    public void Nan_and_infinities_and_bools_are_spelled_as_in_python()
    {
        using var f = tensor(new[] { float.NaN, float.PositiveInfinity, -1.5f });
        using var b = tensor(new[] { true, false });

        Assert.Equal("tensor([  nan,   inf, -1.50])", TensorFormat.Str(f));
        Assert.Equal("tensor([ True, False])", TensorFormat.Str(b));
    }
}

using System.Text.Json;
using Backprop.Cli.Commands;
using Backprop.Scratch;

namespace Backprop.Tests.Cli;

public sealed class GradCheckJsonTests
{
    private static readonly GradCheckRow[] Rows =
    [
        new("functions", "w1", [784, 50], "autograd", "float32", 0.002, 812.5, 0.01),
        new("nll", "inp", [5, 3], "finite_differences", "float64", double.NaN, 0.2, 1e-6),
    ];

    [Theory]
    [InlineData(3.0517578125e-5, "3.05e-05")]
    [InlineData(0.01, "1.00e-02")]
    [InlineData(812.6, "8.13e+02")]
    [InlineData(0.0, "0.00e+00")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void The_table_writes_differences_in_pytorchs_e_notation(double value, string expected)
    {
        Assert.Equal(expected, GradCheckCommand.Scientific(value));
    }

    [Fact]
    public void Rows_are_written_with_snake_case_keys_and_a_nan_is_a_failure()
    {
        using var doc = JsonDocument.Parse(GradCheckJson.Serialize(Rows));
        var root = doc.RootElement;

        Assert.False(root.GetProperty("all_pass").GetBoolean());
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(
            ["component", "tensor", "shape", "reference", "dtype", "max_abs_diff", "max_abs_reference", "tolerance", "pass"],
            rows[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("w1", rows[0].GetProperty("tensor").GetString());
        Assert.Equal([784, 50], rows[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(0.002, rows[0].GetProperty("max_abs_diff").GetDouble());
        Assert.True(rows[0].GetProperty("pass").GetBoolean());
        Assert.Equal("NaN", rows[1].GetProperty("max_abs_diff").GetString());
        Assert.False(rows[1].GetProperty("pass").GetBoolean());
    }
}

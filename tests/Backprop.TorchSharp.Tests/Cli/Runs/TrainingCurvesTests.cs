using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests.Cli.Runs;

public sealed class TrainingCurvesTests
{
    [Fact]
    public void Curves_render_to_a_png_even_without_validation()
    {
        using var dir = new TempDir();
        EpochResult[] history = [new(0, 0.3, 0.15, 0.955, 1), new(1, 0.14, double.NaN, double.NaN, 1)];

        TrainingCurves.Save(history, dir.File("c.png"));

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File("c.png"))[..4]);
    }

    [Fact]
    public void An_empty_history_is_refused()
    {
        using var dir = new TempDir();

        Assert.Throws<ArgumentException>(() => TrainingCurves.Save([], dir.File("c.png")));
        Assert.False(File.Exists(dir.File("c.png")));
    }
}

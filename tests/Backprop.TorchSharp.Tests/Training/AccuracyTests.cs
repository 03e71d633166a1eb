using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class AccuracyTests
{
    [Fact]
    public void Counts_the_rows_whose_largest_logit_is_the_target()
    {
        using var scope = NewDisposeScope();
        var preds = tensor(new float[] { 0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f, 2f, -1f }).reshape(4, 2);
        var yb = tensor(new long[] { 1, 0, 0, 0 });

        Assert.Equal(0.75f, Accuracy.Of(preds, yb).item<float>());
        Assert.Equal(ScalarType.Float32, Accuracy.Of(preds, yb).dtype);
        Assert.Equal(3L, Accuracy.Correct(preds, yb).item<long>());
        Assert.Empty(Accuracy.Correct(preds, yb).shape);
    }
}

using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class LossFuncTests
{
    [Fact]
    public void Cross_entropy_is_the_mean_negative_log_softmax_of_the_targets()
    {
        using var scope = NewDisposeScope();
        var preds = tensor(new double[] { 0, 0, 0, 1, 2, 3 }).reshape(2, 3);
        var yb = tensor(new long[] { 1, 2 });

        var loss = LossFunc.CrossEntropy(preds, yb).item<double>();

        // Row 0: uniform logits, -log(1/3). Row 1: -log(e^3 / (e + e^2 + e^3)).
        var expected = (Math.Log(3) + -Math.Log(Math.Exp(3) / (Math.E + Math.Exp(2) + Math.Exp(3)))) / 2;
        Assert.Equal(expected, loss, 1e-12);
    }
}

using Backprop.Cli.Runs;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Runs;

public sealed class EvaluationTests
{
    [Fact]
    public void Compares_the_argmax_of_every_batch_with_the_labels()
    {
        // The "model" is the identity: each row of x is already the 3 class scores.
        using var x = tensor(new float[,] { { 9, 0, 0 }, { 0, 9, 0 }, { 0, 0, 9 }, { 0, 9, 1 }, { 2, 1, 0 } });
        using var y = tensor(new long[] { 0, 1, 2, 2, 1 });

        var e = Evaluation.Run(xb => xb.clone(), x, y, CPU, classes: 3, bs: 2);

        Assert.Equal([0L, 1, 2, 1, 0], e.Predictions);
        Assert.Equal([0L, 1, 2, 2, 1], e.Targets);
        Assert.Equal(0.6, e.Accuracy, 12);
        Assert.Equal([3, 4], e.Misclassified());
        Assert.Equal([3], e.Misclassified(max: 1));
        Assert.Equal(1, e.Confusion[2, 1]);
        Assert.Equal(1, e.Confusion[1, 0]);
    }

    [Fact]
    public void Runs_without_building_a_graph()
    {
        using var w = ones(3, 3, requires_grad: true);
        using var x = eye(3);
        using var y = tensor(new long[] { 0, 1, 2 });
        var sawGrad = true;

        Evaluation.Run(xb => { var o = xb.matmul(w); sawGrad = o.requires_grad; return o; }, x, y, CPU, classes: 3);

        Assert.False(sawGrad);
    }

    [Fact]
    public void Labels_that_do_not_match_the_inputs_are_refused()
    {
        using var x = zeros(4, 3);
        using var y = tensor(new long[] { 0, 1 });

        var e = Assert.Throws<ArgumentException>(() => Evaluation.Run(xb => xb, x, y, CPU, classes: 3));
        Assert.Contains("4 items", e.Message);
    }
}

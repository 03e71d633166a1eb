using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

[Collection(MnistGroup.Name)]
public sealed class GradCheckTests(MnistFixture mnist)
{
    private static readonly string[] ModelTensors = ["x", "w1", "b1", "w2", "b2"];
    private static IReadOnlyList<GradCheckRow>? s_rows;

    /// <summary>The whole check, run once for the tests that read its rows.</summary>
    private IReadOnlyList<GradCheckRow> Rows => s_rows ??= GradCheck.Run(mnist.Mnist);

    [Fact]
    public void Every_manual_gradient_passes_against_autograd_on_mnist_and_finite_differences()
    {
        var failed = Rows.Where(r => !r.Pass).Select(r => $"{r.Component}.{r.Tensor} vs {r.Reference}: {r.MaxAbsDiff:G3} > {r.Tolerance:G3}");
        Assert.Empty(failed);
        Assert.All(Rows, r => Assert.True(r.MaxAbsReference > 0, $"{r.Component}.{r.Tensor}: an all-zero reference checks nothing"));
    }

    [Fact]
    public void It_lists_x_w1_b1_w2_b2_for_each_form_and_the_losses_against_both_references()
    {
        string[] forms = ["functions", "classes", "module", "ce_model"];
        var expected = forms.SelectMany(f => ModelTensors.Select(t => (f, t)))
            .Concat([("log_softmax_naive", "x"), ("log_softmax", "x"), ("nll", "inp"), ("cross_entropy", "x")])
            .Concat(ModelTensors.Concat(["w3", "b3"]).Select(t => ("ce_deep_model", t))).ToList();

        var autograd = Rows.Where(r => r.Reference == "autograd").ToList();
        Assert.Equal(expected.Order(), autograd.Select(r => (r.Component, r.Tensor)).Order());
        Assert.All(autograd, r => Assert.Equal(("float32", Math.Min(0.01, 1e-3 * r.MaxAbsReference)), (r.Dtype, r.Tolerance)));

        var fd = Rows.Where(r => r.Reference == "finite_differences").ToList();
        Assert.Equal(expected.Concat([("lin", "x"), ("lin", "w"), ("lin", "b"), ("relu", "x"), ("mse", "inp")]).Order(),
            fd.Select(r => (r.Component, r.Tensor)).Order());
        Assert.All(fd, r => Assert.Equal(("float64", Math.Min(1e-6, 1e-3 * r.MaxAbsReference)), (r.Dtype, r.Tolerance)));
        Assert.Equal(autograd.Count + fd.Count, Rows.Count);
    }

    [Fact]
    public void The_autograd_rows_are_the_lessons_shapes_on_all_50000_training_images()
    {
        GradCheckRow Row(string component, string tensor) => Rows.Single(r => r.Reference == "autograd" && r.Component == component && r.Tensor == tensor);

        foreach (var form in new[] { "functions", "classes", "module" })
        {
            Assert.Equal([50000L, 784], Row(form, "x").Shape);
            Assert.Equal([784L, 50], Row(form, "w1").Shape);
            Assert.Equal([50L], Row(form, "b1").Shape);
            Assert.Equal([50L, 1], Row(form, "w2").Shape);
            Assert.Equal([1L], Row(form, "b2").Shape);
        }
        Assert.Equal([50L, 10], Row("ce_model", "w2").Shape);
        Assert.Equal([[50000L, 784], [784, 100], [100], [100, 50], [50], [50, 10], [10]], new[] { "x", "w1", "b1", "w2", "b2", "w3", "b3" }.Select(t => Row("ce_deep_model", t).Shape));
        Assert.Equal([50000L, 10], Row("nll", "inp").Shape);
        // Lesson 03's gradients are large (w2.g runs to the hundreds), which is why its check is absolute.
        Assert.True(Row("functions", "w2").MaxAbsReference > 100);
    }

    [Fact]
    public void A_wrong_gradient_a_wrong_shape_or_a_missing_small_gradient_fails()
    {
        using var scope = NewDisposeScope();
        var (big, small) = (full(3, 2, 500f), full(3, 2, 1e-5f));

        var rows = GradCheck.Compare("demo", ["right", "off", "shape", "zero"],
            [big + 0.005f, big * 1.01f, full(2, 3, 500f), zeros(3, 2)], [big, big, big, small], "autograd", GradCheck.AutogradTolerance);

        Assert.Equal([true, false, false, false], rows.Select(r => r.Pass));
        Assert.Equal(0.01, rows[0].Tolerance);              // the lesson's absolute eps for a large gradient
        Assert.Equal(5, rows[1].MaxAbsDiff, 3);
        Assert.Equal(double.PositiveInfinity, rows[2].MaxAbsDiff);
        Assert.True(rows[3].MaxAbsDiff < 0.01);              // within the lesson's eps, and yet all wrong:
        Assert.Equal(1e-8, rows[3].Tolerance, 12);           // the tolerance is capped at 0.1% of the gradient's scale
        Assert.Equal([3L, 2], rows[0].Shape);
    }

    [Fact]
    public void The_finite_difference_check_is_reproducible_from_its_seed()
    {
        var a = GradCheck.AgainstFiniteDifferences(7);
        var b = GradCheck.AgainstFiniteDifferences(7);

        Assert.Equal(a, b, (x, y) => x.Component == y.Component && x.Tensor == y.Tensor && x.Shape.SequenceEqual(y.Shape) && x.MaxAbsDiff == y.MaxAbsDiff);
        Assert.All(a, r => Assert.True(r.Pass));
    }
}

using Backprop.Scratch;
using static Backprop.Scratch.Functions;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

[Collection(MnistGroup.Name)]
public sealed class FunctionsTests(MnistFixture mnist)
{
    [Fact]
    public void The_model_on_x_valid_prints_the_lessons_numbers()
    {
        using var scope = NewDisposeScope();
        var xValid = mnist.Mnist.XValid;

        // Lesson 03 (seed 42): relu(lin(x_valid, w1, b1)) starts [0.00, 11.87, 0.00, ..., 5.48, 2.14, 15.30].
        var t = Relu(Lin(xValid, mnist.Lesson03.W1, mnist.Lesson03.B1));
        Assert.Equal([10000L, 50], t.shape);
        TensorAssert.Printed([0.00, 11.87, 0.00], t[0, ..3]);
        TensorAssert.Printed([5.48, 2.14, 15.30], t[0, 47..]);

        // res = model(x_valid): [[25.75], [-13.06], [-114.79], ..., [-67.44], [-74.48], [-60.19]].
        var res = Model(xValid, mnist.Lesson03.W1, mnist.Lesson03.B1, mnist.Lesson03.W2, mnist.Lesson03.B2);
        Assert.Equal([10000L, 1], res.shape);
        TensorAssert.Printed([25.75, -13.06, -114.79], res[..3, 0]);
        TensorAssert.Printed([-67.44, -74.48, -60.19], res[9997.., 0]);
    }

    [Fact]
    public void The_mse_of_the_model_on_x_train_is_the_lessons_4308_76()
    {
        using var scope = NewDisposeScope();
        var preds = Model(mnist.Mnist.XTrain, mnist.Lesson03.W1, mnist.Lesson03.B1, mnist.Lesson03.W2, mnist.Lesson03.B2);

        Assert.Equal([50000L, 1], preds.shape);
        TensorAssert.Printed([4308.76], Mse(preds, mnist.Lesson03.Y).unsqueeze(0));
        // The lesson's diff = out[:, 0] - targ: [-35.97, -99.38, 4.72, ..., -60.12, -50.25, -12.35].
        var diff = preds[.., 0] - mnist.Lesson03.Y;
        TensorAssert.Printed([-35.97, -99.38, 4.72], diff[..3]);
        TensorAssert.Printed([-60.12, -50.25, -12.35], diff[49997..]);
    }

    [Fact]
    public void Mse_compares_an_n_by_1_output_with_an_n_target_element_by_element()
    {
        using var scope = NewDisposeScope();
        var output = tensor(new[] { 1.0, 2.0, 4.0 }).view(3, 1);
        var targ = tensor(new[] { 1.0, 2.0, 3.0 });

        // The pitfall: (N, 1) - (N) broadcasts to (N, N), and its mean is not the MSE.
        Assert.Equal([3L, 3], (output - targ).shape);
        Assert.Equal(21.0 / 9, (output - targ).pow(2).mean().item<double>(), 12);
        // Mse pairs rows: ((1-1)² + (2-2)² + (4-3)²) / 3.
        Assert.Equal(1.0 / 3, Mse(output, targ).item<double>(), 12);
        Assert.Equal(1.0 / 3, Mse(output.view(3), targ).item<double>(), 12);
        Assert.Equal(1.0 / 3, Mse(output, targ.view(3, 1)).item<double>(), 12);
        // Its gradient keeps the output's shape: 2 (o - t) / N.
        var mse = new Backprop.Scratch.Classes.Mse();
        mse.Call(output, targ);
        mse.Backward();
        Assert.Equal([3L, 1], output.G.shape);
        Assert.Equal([0.0, 0.0, 2.0 / 3], output.G.view(3).data<double>().ToArray());
    }

    [Fact]
    public void Mse_refuses_outputs_and_targets_that_do_not_pair()
    {
        using var scope = NewDisposeScope();

        var e = Assert.Throws<ArgumentException>(() => Mse(zeros(5, 1), zeros(4)));
        Assert.Contains("(5, 1)", e.Message);
        Assert.Contains("(4)", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Mse(zeros(5, 2), zeros(5)));
        Assert.Contains("(5, 2)", e2.Message);
    }

    [Fact]
    public void Lin_names_both_shapes_when_the_input_does_not_fit()
    {
        using var scope = NewDisposeScope();

        var e = Assert.Throws<ArgumentException>(() => Lin(zeros(32, 783), zeros(784, 50), zeros(50)));
        Assert.Contains("(32, 783)", e.Message);
        Assert.Contains("(784, 50)", e.Message);
        Assert.Equal("x", e.ParamName);
        var eb = Assert.Throws<ArgumentException>(() => Lin(zeros(32, 784), zeros(784, 50), zeros(10)));
        Assert.Contains("(10)", eb.Message);
        Assert.Contains("(784, 50)", eb.Message);
    }

    [Fact]
    public void Forward_and_backward_on_mnist_matches_autograd_like_the_lesson()
    {
        using var scope = NewDisposeScope();

        var p = mnist.Lesson03.Inputs.Select(t => t.alias()).ToArray(); // handles of this test's own, so their G are the ones it set

        var loss = ForwardAndBackward(p[0], mnist.Lesson03.Y, p[1], p[2], p[3], p[4]);

        TensorAssert.Printed([4308.76], loss.unsqueeze(0));
        foreach (var (t, reference) in p.Zip(mnist.Lesson03.Reference))
        {
            TensorAssert.Close(reference, t.G, eps: 0.01);  // the lesson's test_close(..., eps=0.01)
            TensorAssert.RelClose(reference, t.G, 1e-4);    // and float32-tight relative to each gradient's scale
        }
    }

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_autograd_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        Tensor x = c.Randn(c.N, c.NIn), w = c.Randn(c.NIn, c.Nh), b = c.Randn(c.Nh), outG = c.Randn(c.N, c.Nh);

        var output = Lin(x, w, b);
        output.G = outG;
        LinGrad(x, output, w, b);
        var linRef = Reference.Autograd(l => (Lin(l[0], l[1], l[2]) * outG).sum(), x, w, b);
        TensorAssert.RelClose(linRef[0], x.G, 1e-10);
        TensorAssert.RelClose(linRef[1], w.G, 1e-10);
        TensorAssert.RelClose(linRef[2], b.G, 1e-10);

        Tensor[] p = [c.Randn(c.N, c.NIn), w, b, c.Randn(c.Nh, 1), c.Randn(1)];
        var targ = c.Randn(c.N);
        ForwardAndBackward(p[0], targ, p[1], p[2], p[3], p[4]);
        var reference = Reference.Autograd(l => Mse(Model(l[0], l[1], l[2], l[3], l[4]), targ), p);
        foreach (var (t, r) in p.Zip(reference)) TensorAssert.RelClose(r, t.G, 1e-10);
    }

    [Theory, MemberData(nameof(Float64Case.FdSeeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_finite_differences_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        Tensor x = c.Randn(c.N, c.NIn), w = c.Randn(c.NIn, c.Nh), b = c.Randn(c.Nh), outG = c.Randn(c.N, c.Nh);

        var output = Lin(x, w, b);
        output.G = outG;
        LinGrad(x, output, w, b);
        var linFd = Reference.FiniteDifferences(() => (Lin(x, w, b) * outG).sum(), x, w, b);
        TensorAssert.Close(linFd[0], x.G, 1e-6);
        TensorAssert.Close(linFd[1], w.G, 1e-6);
        TensorAssert.Close(linFd[2], b.G, 1e-6);

        Tensor[] p = [c.Randn(c.N, c.NIn), w, b, c.Randn(c.Nh, 1), c.Randn(1)];
        var targ = c.Randn(c.N);
        ForwardAndBackward(p[0], targ, p[1], p[2], p[3], p[4]);
        var fd = Reference.FiniteDifferences(() => Mse(Model(p[0], p[1], p[2], p[3], p[4]), targ), p);
        foreach (var (t, r) in p.Zip(fd)) TensorAssert.Close(r, t.G, 1e-6);
    }
}

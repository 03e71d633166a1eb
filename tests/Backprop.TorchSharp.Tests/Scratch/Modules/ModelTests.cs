using Backprop.Scratch;
using Backprop.Scratch.Modules;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Modules;

[Collection(MnistGroup.Name)]
public sealed class ModelTests(MnistFixture mnist)
{
    [Fact]
    public void On_mnist_the_loss_is_the_lessons_and_every_gradient_matches_autograd()
    {
        using var scope = NewDisposeScope();
        var v = mnist.Inputs.Select(t => new Variable(t)).ToArray();
        var model = new Model(v[1], v[2], v[3], v[4]);

        var loss = model.Call(v[0], new Variable(mnist.Y));
        model.Backward();

        TensorAssert.Printed([4308.76], loss.Data.unsqueeze(0));
        foreach (var (variable, reference) in v.Zip(mnist.Reference))
        {
            TensorAssert.Close(reference, variable.G, eps: 0.01); // the lesson's test_close
            TensorAssert.RelClose(reference, variable.G, 1e-4);
        }
        Assert.Equal(3, model.Layers.Count);
    }

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_autograd_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        Tensor[] p = [c.Randn(c.N, c.NIn), c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.Nh, 1), c.Randn(1)];
        var targ = c.Randn(c.N);
        var v = p.Select(t => new Variable(t)).ToArray();
        var model = new Model(v[1], v[2], v[3], v[4]);

        model.Call(v[0], new Variable(targ));
        model.Backward();

        var reference = Reference.Autograd(l => Functions.Mse(Functions.Model(l[0], l[1], l[2], l[3], l[4]), targ), p);
        foreach (var (variable, r) in v.Zip(reference)) TensorAssert.RelClose(r, variable.G, 1e-10);
    }

    [Theory, MemberData(nameof(Float64Case.FdSeeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_finite_differences_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        Tensor[] p = [c.Randn(c.N, c.NIn), c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.Nh, 1), c.Randn(1)];
        var targ = c.Randn(c.N);
        var v = p.Select(t => new Variable(t)).ToArray();
        var model = new Model(v[1], v[2], v[3], v[4]);

        model.Call(v[0], new Variable(targ));
        model.Backward();

        var fd = Reference.FiniteDifferences(() => model.Call(v[0], new Variable(targ)).Data, p);
        foreach (var (variable, r) in v.Zip(fd)) TensorAssert.Close(r, variable.G, 1e-6);
    }

    [Fact]
    public void Backward_before_call_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => new Model(
            new Variable(zeros(4, 3)), new Variable(zeros(3)), new Variable(zeros(3, 1)), new Variable(zeros(1))).Backward());
}

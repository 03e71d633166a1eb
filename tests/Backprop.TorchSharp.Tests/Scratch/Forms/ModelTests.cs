using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Forms;

/// <summary>The lesson's Model (Lin, Relu, Lin, Mse) in both of its forms, against autograd and finite differences.</summary>
[Collection(MnistGroup.Name)]
public sealed class ModelTests(MnistFixture mnist)
{
    [Theory, MemberData(nameof(LayerForm.Names), MemberType = typeof(LayerForm))]
    public void On_mnist_the_loss_is_the_lessons_and_every_gradient_matches_autograd(string form)
    {
        using var scope = NewDisposeScope();
        var v = mnist.Lesson03.Inputs.Select(t => t.alias()).ToArray(); // handles of this test's own, so their G are the ones it set
        var (model, layers) = LayerForm.Named(form).Model(v[1], v[2], v[3], v[4]);

        var loss = model.Call(v[0], mnist.Lesson03.Y);
        model.Backward();

        TensorAssert.Printed([4308.76], loss.unsqueeze(0));
        foreach (var (t, reference) in v.Zip(mnist.Lesson03.Reference))
        {
            TensorAssert.Close(reference, t.G, eps: 0.01); // the lesson's test_close
            TensorAssert.RelClose(reference, t.G, 1e-4);
        }
        Assert.Equal(3, layers);
    }

    [Theory, MemberData(nameof(LayerForm.NamesAndSeeds), MemberType = typeof(LayerForm))]
    public void Every_gradient_matches_autograd_in_float64(string form, int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (p, targ, model) = Build(form, c);

        model.Call(p[0], targ);
        model.Backward();

        var reference = Reference.Autograd(l => Functions.Mse(Functions.Model(l[0], l[1], l[2], l[3], l[4]), targ), p);
        foreach (var (t, r) in p.Zip(reference)) TensorAssert.RelClose(r, t.G, 1e-10);
    }

    [Theory, MemberData(nameof(LayerForm.NamesAndFdSeeds), MemberType = typeof(LayerForm))]
    public void Every_gradient_matches_finite_differences_in_float64(string form, int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        var (p, targ, model) = Build(form, c);

        model.Call(p[0], targ);
        model.Backward();
        var grads = p.Select(t => t.G).ToArray(); // before the finite differences run the model again

        var fd = Reference.FiniteDifferences(() => model.Call(p[0], targ), p);
        foreach (var (g, r) in grads.Zip(fd)) TensorAssert.Close(r, g, 1e-6);
    }

    [Theory, MemberData(nameof(LayerForm.Names), MemberType = typeof(LayerForm))]
    public void Backward_before_call_is_refused(string form)
    {
        var (model, _) = LayerForm.Named(form).Model(zeros(4, 3), zeros(3), zeros(3, 1), zeros(1));

        Assert.Throws<InvalidOperationException>(model.Backward);
    }

    /// <summary>x (N, in), w1 (in, nh), b1 (nh), w2 (nh, 1), b2 (1) and targ (N), drawn from <paramref name="c"/>; the model over them.</summary>
    private static (Tensor[] P, Tensor Targ, Layer Model) Build(string form, Float64Case c)
    {
        Tensor[] p = [c.Randn(c.N, c.NIn), c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.Nh, 1), c.Randn(1)];
        var targ = c.Randn(c.N);
        return (p, targ, LayerForm.Named(form).Model(p[1], p[2], p[3], p[4]).Model);
    }
}

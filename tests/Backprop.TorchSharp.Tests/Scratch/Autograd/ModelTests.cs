using Backprop.Scratch.Autograd;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Autograd;

[Collection(MnistGroup.Name)]
public sealed class ModelTests(MnistFixture mnist)
{
    [Fact]
    public void With_seed_42_it_is_the_lessons_model_and_autograd_gives_the_manual_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = new Model(784, 50, 1);

        var loss = model.call(mnist.Mnist.XTrain, mnist.Mnist.YTrain);
        loss.backward();

        // Drawn in the lesson's order, the weights are lesson 03's w1 and w2, so the loss is its 4308.76.
        TensorAssert.Printed([4308.76], loss.detach().unsqueeze(0));
        var l0 = (Linear)model.Layers[0];
        var l2 = (Linear)model.Layers[2];
        Tensor[] grads = [l0.W.grad!, l0.B.grad!, l2.W.grad!, l2.B.grad!];
        foreach (var (grad, reference) in grads.Zip(mnist.Lesson03.Reference.Skip(1)))
            TensorAssert.Close(reference, grad, eps: 0.01); // the lesson's test_close
        Assert.Equal(4, model.parameters().Count());
        Assert.Equal(["layers.0.w", "layers.0.b", "layers.2.w", "layers.2.b"], model.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void An_n_target_is_compared_as_a_column_not_broadcast()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var model = new Model(3, 4, 1);
        var x = randn(5, 3);
        var targ = randn(5);

        var preds = model.Layers.Aggregate(x, (t, l) => l.call(t));
        Assert.Equal((preds[.., 0] - targ).pow(2).mean().item<float>(), model.call(x, targ).item<float>(), 6);
        Assert.Throws<ArgumentException>(() => model.call(x, randn(4)));
    }
}

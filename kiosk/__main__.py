from kiosk.cli import main

if __name__ == "__main__":  # also imported by the render process, which must not start a kiosk
    main()
